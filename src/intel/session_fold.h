#pragma once
// A session's events folded into a small summary that can be updated one batch at a time and
// merged in any order. Session classes and rollup keys are computed from the fold alone, so the
// rollups kept at ingest and those rebuilt from raw events cannot disagree.

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/event.h"
#include "intel/session_class.h"

namespace mitsu::intel {

// What makes a session "targeted at our products" (the operator's vendor profile): an exploit
// signature written for its products, or a login with one of its default credentials.
struct TargetProfile {
  std::set<std::string> exploit_rules;
  std::set<std::pair<std::string, std::string>> credentials;  // user, password

  bool empty() const { return exploit_rules.empty() && credentials.empty(); }
  bool matches(const Event& event) const;
};

// The dimensions a session is counted under: those of its earliest event.
struct SessionDims {
  std::int64_t day = 0;  // UTC days since 1970-01-01
  std::string country;
  std::uint32_t asn = 0;
  std::string protocol;
  int dst_port = -1;
  std::string device_type;
  std::string site;

  bool operator==(const SessionDims&) const = default;
};

struct SessionFold {
  std::int64_t first_us = INT64_MAX;
  std::string first_event;  // id of the earliest event: breaks ties between equal times
  SessionDims dims;
  std::int64_t events = 0;
  bool payload = false;
  bool exploit = false;
  bool login_tried = false;
  bool targeted = false;
  std::int64_t first_success_us = -1;       // earliest successful login
  std::int64_t last_command_us = -1;        // latest shell or FTP command
  std::vector<std::int64_t> command_times;  // shell commands, sorted, for the interactive flag

  void add(const Event& event, const TargetProfile& profile);
  void merge(const SessionFold& other);
  Classification classification() const;
};

std::int64_t utc_day(std::int64_t ts_us);

}  // namespace mitsu::intel
