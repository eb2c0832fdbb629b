// Zero-day candidates: the reference platform found an unknown SMB attack because a real device's
// files changed. A relayed session that changed the device, or that the device stopped answering
// right after, and that matched no known exploit signature, is worth a look.

#include "sensor/runtime/server_impl.h"

namespace mitsu::sensor {
namespace {
// A device found down this soon after a session that matched no exploit makes that session a
// zero-day candidate.
constexpr auto kDeviceDownWindow = std::chrono::minutes(5);
}  // namespace

void SensorServer::Impl::zero_day_session_ended(std::size_t listener, const Connection& c,
                                                bool exploit_seen,
                                                const std::vector<std::string>& changes,
                                                const std::vector<std::string>& requests) {
  {
    std::lock_guard lock(last_relayed_mutex);
    if (!exploit_seen) {
      last_relayed[listener] = LastRelayed{c.info, c.recording, requests, Clock::now()};
    } else {
      last_relayed.erase(listener);
    }
  }
  if (!changes.empty() && !exploit_seen) {
    nlohmann::json fields{{"mitsu.zero_day.reason", "device_files_changed"},
                          {"mitsu.zero_day.changes", changes},
                          {"mitsu.zero_day.requests", requests}};
    if (!c.recording.empty()) {
      fields["mitsu.session.recording"] = c.recording;
    }
    emit(c.info, "zero_day_candidate", fields);
  }
}

void SensorServer::Impl::zero_day_device_down(std::size_t listener) {
  std::optional<LastRelayed> suspect;
  {
    std::lock_guard lock(last_relayed_mutex);
    if (auto it = last_relayed.find(listener);
        it != last_relayed.end() && Clock::now() - it->second.ended < kDeviceDownWindow) {
      suspect = std::move(it->second);
      last_relayed.erase(it);
    }
  }
  if (suspect) {
    nlohmann::json fields{{"mitsu.zero_day.reason", "device_stopped_answering"},
                          {"mitsu.zero_day.requests", suspect->requests}};
    if (!suspect->recording.empty()) {
      fields["mitsu.session.recording"] = suspect->recording;
    }
    emit(suspect->info, "zero_day_candidate", fields);
  }
}

}  // namespace mitsu::sensor
