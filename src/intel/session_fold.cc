#include "intel/session_fold.h"

#include <algorithm>

namespace mitsu::intel {

std::int64_t utc_day(std::int64_t ts_us) {
  constexpr std::int64_t kDayUs = 86'400'000'000;
  return ts_us >= 0 ? ts_us / kDayUs : -((-ts_us + kDayUs - 1) / kDayUs);
}

bool TargetProfile::matches(const Event& event) const {
  if (event.action == "exploit") {
    return exploit_rules.contains(event.rule_id);
  }
  if (event.action == "login.attempt") {
    return credentials.contains({event.user_name, event.password});
  }
  return false;
}

void SessionFold::add(const Event& event, const TargetProfile& profile) {
  if (event.ts_us < first_us || (event.ts_us == first_us && event.id < first_event)) {
    first_us = event.ts_us;
    first_event = event.id;
    dims = {utc_day(event.ts_us), event.country,     event.asn, event.protocol,
            event.dst_port,       event.device_type, event.site};
  }
  ++events;
  const std::string& action = event.action;
  if ((action == "file.download" && event.outcome == "success") || action == "file.upload") {
    payload = true;
  } else if (action == "exploit") {
    exploit = true;
  } else if (action == "login.attempt") {
    login_tried = true;
    if (event.outcome == "success" && (first_success_us < 0 || event.ts_us < first_success_us)) {
      first_success_us = event.ts_us;
    }
  }
  if (action == "command" || action == "ftp.command") {
    last_command_us = std::max(last_command_us, event.ts_us);
  }
  if (action == "command") {
    command_times.insert(std::upper_bound(command_times.begin(), command_times.end(), event.ts_us),
                         event.ts_us);
  }
  targeted |= profile.matches(event);
}

void SessionFold::merge(const SessionFold& other) {
  if (other.events == 0) {
    return;
  }
  if (other.first_us < first_us ||
      (other.first_us == first_us && other.first_event < first_event)) {
    first_us = other.first_us;
    first_event = other.first_event;
    dims = other.dims;
  }
  events += other.events;
  payload |= other.payload;
  exploit |= other.exploit;
  login_tried |= other.login_tried;
  targeted |= other.targeted;
  if (other.first_success_us >= 0 &&
      (first_success_us < 0 || other.first_success_us < first_success_us)) {
    first_success_us = other.first_success_us;
  }
  last_command_us = std::max(last_command_us, other.last_command_us);
  std::vector<std::int64_t> merged;
  merged.reserve(command_times.size() + other.command_times.size());
  std::merge(command_times.begin(), command_times.end(), other.command_times.begin(),
             other.command_times.end(), std::back_inserter(merged));
  command_times = std::move(merged);
}

Classification SessionFold::classification() const {
  // Post-login activity: a shell or FTP command at or after the first successful login.
  bool acted = first_success_us >= 0 && last_command_us >= first_success_us;
  Classification c;
  c.session_class = payload       ? SessionClass::kMalwareDelivery
                    : exploit     ? SessionClass::kExploit
                    : acted       ? SessionClass::kIntrusion
                    : login_tried ? SessionClass::kBruteForce
                                  : SessionClass::kScan;
  c.interactive = interactive_command_times(command_times);
  return c;
}

}  // namespace mitsu::intel
