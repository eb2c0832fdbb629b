#include "sensor/session/kept_files.h"

namespace mitsu::sensor {

void KeptFiles::keep(const EmulatedShell& shell, const std::string& path, SessionActions& out) {
  const auto* node = shell.filesystem().find(path);
  if (node == nullptr || node->directory || node->content.empty()) {
    return;
  }
  auto [it, inserted] = kept_.try_emplace(path, node->content);
  if (!inserted && it->second == node->content) {
    return;
  }
  it->second = node->content;
  out.captures.push_back({path, node->content});
}

void KeptFiles::keep_all(const EmulatedShell& shell, SessionActions& out) {
  for (const auto& [path, node] : shell.filesystem().attacker_files()) {
    keep(shell, path, out);
  }
}

void KeptFiles::delivered(EmulatedShell& shell, const DownloadRequest& request,
                          std::string_view content) {
  if (content.empty()) {
    return;
  }
  shell.deliver(request.local_path, content);
  if (const auto* node = shell.filesystem().find(request.local_path)) {
    kept_[request.local_path] = node->content;
  }
}

}  // namespace mitsu::sensor
