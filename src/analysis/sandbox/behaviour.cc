#include "analysis/sandbox/behaviour.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string_view>

#include "analysis/sandbox/terminal_guard.h"

namespace mitsu::analysis::sandbox {
namespace {

constexpr std::size_t kScanThreshold = 5;  // distinct addresses on one port make a scan
const std::set<int> kScanPorts{23, 2323, 22, 80, 8080, 81, 7547, 5555, 37215, 52869, 8081, 443};

bool writes(const Syscall& s) {
  return s.args.find("O_WRONLY") != std::string::npos ||
         s.args.find("O_RDWR") != std::string::npos || s.args.find("O_CREAT") != std::string::npos;
}
bool opens(const Syscall& s) {
  return s.name == "open" || s.name == "openat" || s.name == "creat";
}
bool succeeded(const Syscall& s) {
  return s.result && *s.result >= 0;
}
std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}
bool starts_with_any(const std::string& path, std::initializer_list<const char*> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const char* p) { return path.rfind(p, 0) == 0; });
}

// A request as QEMU prints it: a name it decoded for the guest's CPU ("TIOCSTI", "KDSETMODE"),
// or a number it did not.
bool is_terminal_request(std::string_view request) {
  static const std::set<std::string_view> kNames{"TIOCSTI", "TIOCLINUX", "TIOCCONS", "TIOCSCTTY"};
  if (kNames.contains(request) || request.starts_with("KD") || request.starts_with("VT_") ||
      request.starts_with("PIO_") || request.starts_with("GIO_")) {
    return true;
  }
  unsigned long value = 0;
  auto text = std::string(request);
  char* end = nullptr;
  value = std::strtoul(text.c_str(), &end, 0);
  return end != text.c_str() && *end == '\0' &&
         terminal_guard_refuses(static_cast<unsigned>(value));
}

bool is_terminal_device(const std::string& path) {
  return starts_with_any(
      path, {"/dev/tty", "/dev/console", "/dev/pts", "/dev/ptmx", "/dev/vcs", "/dev/vc/"});
}

// Reaching for a terminal: ioctls that push input into one or drive the console (the terminal
// guard refuses them all), and terminal devices opened (the jail has none). Either way the
// sample tried to leave the sandbox through whoever watches it run.
void terminal_items(const RunFacts& f, std::vector<BehaviourItem>& items) {
  nlohmann::json calls = nlohmann::json::array();
  std::set<std::string> devices, requests;
  std::size_t attempts = 0;
  bool all_refused = true;
  for (const Syscall& s : f.syscalls) {
    if (s.name == "ioctl") {
      std::size_t comma = s.args.find(',');
      std::size_t next = comma == std::string::npos ? comma : s.args.find(',', comma + 1);
      if (comma == std::string::npos) {
        continue;
      }
      std::string request =
          s.args.substr(comma + 1, next == std::string::npos ? next : next - comma - 1);
      if (!is_terminal_request(request)) {
        continue;
      }
      ++attempts;
      requests.insert(request);
      all_refused = all_refused && !succeeded(s);
      if (calls.size() < 32) {
        calls.push_back({{"fd", s.args.substr(0, comma)},
                         {"request", request},
                         {"result", succeeded(s) ? "succeeded" : s.error_text}});
      }
    } else if (opens(s) && !s.strings.empty() && is_terminal_device(s.strings.front())) {
      ++attempts;
      devices.insert(s.strings.front());
      all_refused = all_refused && !succeeded(s);
    }
  }
  if (attempts == 0) {
    return;
  }
  std::string what;
  for (const std::string& r : requests) {
    what += (what.empty() ? "" : ", ") + r;
  }
  for (const std::string& d : devices) {
    what += (what.empty() ? "opened " : ", opened ") + d;
  }
  items.push_back({"terminal_injection",
                   "T1611",
                   fmt::format("tried to reach a terminal ({} attempt(s): {}){}", attempts, what,
                               all_refused ? "; every one refused" : ""),
                   {{"attempts", attempts},
                    {"ioctls", calls},
                    {"devices", devices},
                    {"refused", all_refused}}});
}

}  // namespace

bool is_public_resolver(const std::string& address) {
  static const std::set<std::string> known{
      "8.8.8.8",         "8.8.4.4",         "1.1.1.1",        "1.0.0.1",     "9.9.9.9",
      "149.112.112.112", "208.67.222.222",  "208.67.220.220", "64.6.64.6",   "64.6.65.6",
      "77.88.8.8",       "114.114.114.114", "223.5.5.5",      "180.76.76.76"};
  return known.contains(address);
}

bool is_public_resolver_name(const std::string& name) {
  static const std::set<std::string> known{
      "dns.google",         "dns.google.com",        "one.one.one.one",
      "cloudflare-dns.com", "resolver1.opendns.com", "resolver2.opendns.com",
      "dns.quad9.net",      "dns9.quad9.net",        "dns.opendns.com",
      "dns.yandex.ru",      "public-dns-a.baidu.com"};
  return known.contains(name);
}

namespace {

// What the trace says the sample's processes did to processes and files.
struct TraceFacts {
  std::set<std::string> created, persistence, erased, escapes;
  std::set<int> forks_by;
  int forks = 0, kills = 0, proc_walks = 0, refused = 0;
  bool watchdog = false, self_deleted = false;
  nlohmann::json kill_evidence = nlohmann::json::array();
};

// Network: names asked, then endpoints — scans apart from single contacts.
void network_items(const RunFacts& f, std::vector<BehaviourItem>& items) {
  std::set<std::string> names;
  for (const DnsObservation& d : f.dns) {
    if (names.insert(d.name).second) {
      items.push_back({"dns_query",
                       "T1071.004",
                       fmt::format("resolved {} via {}", d.name, d.resolver),
                       {{"name", d.name},
                        {"resolver", d.resolver},
                        {"public_resolver", is_public_resolver(d.resolver)},
                        {"type", d.type},
                        {"sinkhole", d.answer}}});
    }
  }
  std::map<int, std::vector<const Endpoint*>> tcp_by_port;
  for (const Endpoint& e : f.endpoints) {
    if (e.protocol == "tcp" && e.domain.empty()) {
      tcp_by_port[e.port].push_back(&e);
    }
  }
  std::set<const Endpoint*> scanned;
  for (const auto& [port, endpoints] : tcp_by_port) {
    if (endpoints.size() >= kScanThreshold) {
      nlohmann::json targets = nlohmann::json::array();
      for (const Endpoint* e : endpoints) {
        scanned.insert(e);
        if (targets.size() < 256) {
          targets.push_back(e->address);
        }
      }
      items.push_back({"scanning",
                       "T1046",
                       fmt::format("scanned {} addresses on port {}{}", endpoints.size(), port,
                                   kScanPorts.contains(port) ? " (an IoT service port)" : ""),
                       {{"port", port}, {"addresses", endpoints.size()}, {"targets", targets}}});
    }
  }
  // Downloads: HTTP requests seen by the sinkhole, as the URLs the sample asked for.
  nlohmann::json urls = nlohmann::json::array();
  for (const Endpoint& e : f.endpoints) {
    for (const std::string& b : e.requests) {
      std::size_t space = b.find(' ');
      if (space == std::string::npos) {
        continue;
      }
      std::size_t path_end = b.find(' ', space + 1);
      std::string path = b.substr(
          space + 1, path_end == std::string::npos ? std::string::npos : path_end - space - 1);
      std::string host;
      for (std::size_t at = b.find("\r\n"); at != std::string::npos; at = b.find("\r\n", at + 2)) {
        std::string header = b.substr(at + 2, b.find("\r\n", at + 2) - at - 2);
        if (header.size() > 5 && (header.rfind("Host:", 0) == 0 || header.rfind("host:", 0) == 0)) {
          host = header.substr(5);
          host.erase(0, host.find_first_not_of(' '));
          break;
        }
      }
      if (host.empty()) {
        host = e.port == 80 ? e.address : fmt::format("{}:{}", e.address, e.port);
      }
      urls.push_back(fmt::format("http://{}{}", host, path));
    }
  }
  if (!urls.empty()) {
    items.push_back({"download_attempt",
                     "T1105",
                     fmt::format("tried to download {} URL(s)", urls.size()),
                     {{"urls", urls}}});
  }
  for (const Endpoint& e : f.endpoints) {
    if (scanned.contains(&e)) {
      continue;
    }
    std::string where = e.domain.empty() ? fmt::format("{}:{}", e.address, e.port)
                                         : fmt::format("{}:{} ({})", e.address, e.port, e.domain);
    items.push_back(
        {e.protocol == "tcp" ? "c2_connection" : "udp_traffic",
         e.protocol == "tcp" ? "T1071" : "T1095",
         fmt::format("{} {}", e.protocol == "tcp" ? "connected to" : "sent UDP to", where),
         {{"protocol", e.protocol},
          {"address", e.address},
          {"port", e.port},
          {"domain", e.domain},
          {"attempts", e.attempts},
          {"first_bytes", e.first_bytes}}});
  }
}

// Processes and files, from the trace.
TraceFacts read_trace(const RunFacts& f) {
  TraceFacts t;
  std::string sample_name = basename_of(f.sample_path);
  for (const Syscall& s : f.syscalls) {
    std::string path = s.strings.empty() ? "" : s.strings.front();
    if ((s.name == "clone" || s.name == "fork" || s.name == "vfork") && s.result && *s.result > 0) {
      ++t.forks;
      t.forks_by.insert(s.pid);
    } else if (opens(s) && path.find("watchdog") != std::string::npos) {
      t.watchdog = true;
    } else if (opens(s) && path.rfind("/proc/", 0) == 0 && path.size() > 6 &&
               std::isdigit(static_cast<unsigned char>(path[6]))) {
      ++t.proc_walks;
    } else if (s.name == "kill" || s.name == "tkill" || s.name == "tgkill") {
      ++t.kills;
      if (t.kill_evidence.size() < 20) {
        t.kill_evidence.push_back(fmt::format("{}({})", s.name, s.args));
      }
    } else if ((s.name == "unlink" || s.name == "unlinkat") && !path.empty()) {
      if (basename_of(path) == sample_name && succeeded(s)) {
        t.self_deleted = true;
      } else if (path.find("log") != std::string::npos ||
                 path.find("history") != std::string::npos) {
        t.erased.insert(path);
      }
    } else if (s.name == "connect" && s.error_text == "Connection refused") {
      // The fake internet accepts every connection: only the jail's own loopback refuses.
      ++t.refused;
    }
    if ((opens(s) && writes(s)) || s.name == "rename" || s.name == "renameat" ||
        s.name == "symlink" || s.name == "link" || s.name == "mkdir") {
      std::string target = s.strings.empty() ? "" : s.strings.back();
      if (starts_with_any(target, {"/etc/init.d", "/etc/rc", "/etc/cron", "/var/spool/cron",
                                   "/etc/inittab", "/etc/profile", "/root/.profile"})) {
        t.persistence.insert(target);
      }
      if (!succeeded(s) &&
          (s.error_text == "Permission denied" || s.error_text == "Read-only file system" ||
           s.error_text == "Operation not permitted") &&
          !target.empty() && target.rfind("/tmp", 0) != 0 && target.rfind("/dev/", 0) != 0 &&
          target.rfind("/proc", 0) != 0) {
        t.escapes.insert(target);  // a write outside the writable /tmp, refused by the jail
      } else if (succeeded(s) && s.args.find("O_CREAT") != std::string::npos) {
        t.created.insert(target);
      }
    }
  }
  return t;
}

void trace_items(const RunFacts& f, TraceFacts& t, std::vector<BehaviourItem>& items) {
  for (const auto& [pid, names_given] : f.renames) {
    for (const std::string& name : names_given) {
      if (f.benign_names.contains(name)) {
        continue;  // busybox names itself after the applet a script runs
      }
      items.push_back({"process_renamed",
                       "T1036.005",
                       fmt::format("process {} renamed itself to \"{}\"", pid, name),
                       {{"pid", pid}, {"name", name}, {"via", "prctl(PR_SET_NAME)"}}});
    }
  }
  // A clone whose result line was cut by a child's output still shows as the child's own pid.
  t.forks = std::max(t.forks, f.processes - 1);
  if (t.forks > 0) {
    items.push_back({"fork",
                     "",
                     fmt::format("forked {} time(s)", t.forks),
                     {{"forks", t.forks}, {"processes", f.processes}}});
  }
  if (f.outlived_main) {
    items.push_back(
        {"daemonize", "", "the sample exited while processes it started ran on (daemonized)", {}});
  }
  if (t.watchdog) {
    items.push_back({"watchdog_access",
                     "T1562",
                     "opened the hardware watchdog (to stop the device from rebooting)",
                     {{"path", "/dev/watchdog"}}});
  }
  if (t.self_deleted) {
    items.push_back(
        {"self_deletion", "T1070.004", "deleted its own binary", {{"path", f.sample_path}}});
  }
  if (!t.erased.empty()) {
    items.push_back(
        {"trace_erasure", "T1070", "deleted logs or shell history", {{"paths", t.erased}}});
  }
  if (t.kills > 0) {
    items.push_back({"kill_processes",
                     "T1489",
                     fmt::format("sent {} kill signal(s)", t.kills),
                     {{"calls", t.kill_evidence}}});
  }
  if (t.proc_walks > 0) {
    items.push_back({"process_discovery",
                     "T1057",
                     fmt::format("read {} per-process /proc entries", t.proc_walks),
                     {{"opens", t.proc_walks}}});
  }
  if (!t.persistence.empty()) {
    items.push_back({"persistence",
                     "T1037.004",
                     "tried to install itself to start at boot",
                     {{"paths", t.persistence}}});
  }
  if (!t.created.empty()) {
    items.push_back({"files_created",
                     "",
                     fmt::format("created {} file(s)", t.created.size()),
                     {{"paths", t.created}}});
  }
  if (!t.escapes.empty()) {
    items.push_back({"jail_write_refused",
                     "",
                     "tried to write outside its jail's /tmp; the jail refused",
                     {{"paths", t.escapes}}});
  }
  if (t.refused > 0) {
    items.push_back({"local_connection_refused",
                     "",
                     fmt::format("{} connection(s) refused inside the jail (its own loopback: "
                                 "host services are unreachable)",
                                 t.refused),
                     {{"refused", t.refused}}});
  }
}

}  // namespace

std::vector<BehaviourItem> derive_behaviour(const RunFacts& f) {
  std::vector<BehaviourItem> items;
  network_items(f, items);
  TraceFacts trace = read_trace(f);
  terminal_items(f, items);
  trace_items(f, trace, items);
  items.push_back({"exit",
                   "",
                   f.exit_reason == "crashed" ? fmt::format("crashed (signal {})", f.exit_status)
                   : f.exit_reason == "finished"
                       ? fmt::format("finished (status {})", f.exit_status)
                       : f.exit_reason,
                   {{"reason", f.exit_reason}, {"status", f.exit_status}}});
  return items;
}

}  // namespace mitsu::analysis::sandbox
