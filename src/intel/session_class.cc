#include "intel/session_class.h"

#include <algorithm>
#include <vector>

namespace mitsu::intel {

std::string_view to_string(SessionClass c) {
  switch (c) {
    case SessionClass::kScan:
      return "scan";
    case SessionClass::kBruteForce:
      return "brute_force";
    case SessionClass::kIntrusion:
      return "intrusion";
    case SessionClass::kExploit:
      return "exploit";
    case SessionClass::kMalwareDelivery:
      return "malware_delivery";
  }
  return "scan";
}

bool is_interactive(std::span<const Event> session) {
  std::vector<std::int64_t> times;
  for (const Event& e : session) {
    if (e.action == "command") {
      times.push_back(e.ts_us);
    }
  }
  if (times.size() < 3) {
    return false;
  }
  std::sort(times.begin(), times.end());
  std::vector<std::int64_t> gaps;
  for (std::size_t i = 1; i < times.size(); ++i) {
    gaps.push_back(times[i] - times[i - 1]);
  }
  if (*std::min_element(gaps.begin(), gaps.end()) < 200'000) {
    return false;
  }
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2),
                   gaps.end());
  return gaps[gaps.size() / 2] >= 1'000'000;
}

Classification classify(std::span<const Event> session) {
  bool payload = false, exploit = false, login_tried = false;
  std::int64_t first_success = -1;
  for (const Event& e : session) {
    if ((e.action == "file.download" && e.outcome == "success") || e.action == "file.upload") {
      payload = true;
    } else if (e.action == "exploit") {
      exploit = true;
    } else if (e.action == "login.attempt") {
      login_tried = true;
      if (e.outcome == "success" && (first_success < 0 || e.ts_us < first_success)) {
        first_success = e.ts_us;
      }
    }
  }
  // Post-login activity: a shell or FTP command at or after the first successful login.
  bool acted = false;
  for (const Event& e : session) {
    acted |= first_success >= 0 && e.ts_us >= first_success &&
             (e.action == "command" || e.action == "ftp.command");
  }
  Classification c;
  c.session_class = payload       ? SessionClass::kMalwareDelivery
                    : exploit     ? SessionClass::kExploit
                    : acted       ? SessionClass::kIntrusion
                    : login_tried ? SessionClass::kBruteForce
                                  : SessionClass::kScan;
  c.interactive = is_interactive(session);
  return c;
}

}  // namespace mitsu::intel
