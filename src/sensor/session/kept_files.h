#pragma once
// Which files an attacker left in a session have been kept, so each distinct content goes to the
// artifact store once however often it is run or rewritten. Shared by every protocol that hosts
// the emulated shell.

#include <map>
#include <string>
#include <string_view>

#include "sensor/session/session.h"
#include "sensor/shell/emulated_shell.h"

namespace mitsu::sensor {

class KeptFiles {
 public:
  // Adds `path` to out.captures unless this content of it was kept already.
  void keep(const EmulatedShell& shell, const std::string& path, SessionActions& out);
  // Every file the attacker wrote in the session (at its end).
  void keep_all(const EmulatedShell& shell, SessionActions& out);
  // A finished download lands in the shell's filesystem; the downloader has kept it already.
  void delivered(EmulatedShell& shell, const DownloadRequest& request, std::string_view content);

 private:
  std::map<std::string, std::string> kept_;  // path → content kept
};

}  // namespace mitsu::sensor
