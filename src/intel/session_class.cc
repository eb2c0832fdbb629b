#include "intel/session_class.h"

#include <algorithm>
#include <vector>

#include "intel/session_fold.h"

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

bool interactive_command_times(std::span<const std::int64_t> sorted_times) {
  if (sorted_times.size() < 3) {
    return false;
  }
  std::vector<std::int64_t> gaps;
  for (std::size_t i = 1; i < sorted_times.size(); ++i) {
    gaps.push_back(sorted_times[i] - sorted_times[i - 1]);
  }
  if (*std::min_element(gaps.begin(), gaps.end()) < 200'000) {
    return false;
  }
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2),
                   gaps.end());
  return gaps[gaps.size() / 2] >= 1'000'000;
}

bool is_interactive(std::span<const Event> session) {
  std::vector<std::int64_t> times;
  for (const Event& e : session) {
    if (e.action == "command") {
      times.push_back(e.ts_us);
    }
  }
  std::sort(times.begin(), times.end());
  return interactive_command_times(times);
}

Classification classify(std::span<const Event> session) {
  SessionFold fold;
  TargetProfile none;
  for (const Event& e : session) {
    fold.add(e, none);
  }
  return fold.classification();
}

}  // namespace mitsu::intel
