#pragma once
// What a sample did, from the syscall trace and the fake internet's log: tagged items with their
// evidence, mapped to MITRE ATT&CK techniques where one fits (docs/sandbox.md lists the rules).

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "analysis/sandbox/fake_internet.h"
#include "analysis/sandbox/strace_parser.h"

namespace mitsu::analysis::sandbox {

struct BehaviourItem {
  std::string tag;     // dns_query, c2_connection, scanning, process_renamed, …
  std::string attack;  // ATT&CK technique id, empty when none fits
  std::string summary;
  nlohmann::json evidence;
};

struct RunFacts {
  std::string sample_path;  // where the sample was inside the jail
  std::vector<Syscall> syscalls;
  std::map<int, std::vector<std::string>> renames;  // pid -> names it gave itself
  std::vector<DnsObservation> dns;
  std::vector<Endpoint> endpoints;
  std::string exit_reason;             // finished, timed_out, crashed, not_started
  int exit_status = 0;                 // exit code, or the signal when crashed
  int processes = 0;                   // distinct pids seen in the trace
  std::set<std::string> benign_names;  // process names that are no disguise (busybox applets)
  bool outlived_main = false;          // processes it started ran on after the sample's own exit
};

std::vector<BehaviourItem> derive_behaviour(const RunFacts& facts);

// Public resolvers: asking them is not a sign of malice, the names asked are.
bool is_public_resolver(const std::string& address);
// Their names (dns.google, one.one.one.one, …): contacting them is not malicious.
bool is_public_resolver_name(const std::string& name);

}  // namespace mitsu::analysis::sandbox
