#pragma once
// A Telnet login and shell as a busybox device gives them: telnetd's option negotiation, the
// persona's banner and prompts, login attempts checked against the persona's policy, then the
// emulated shell. Every attempt and every command line becomes an event.

#include <memory>
#include <optional>

#include "sensor/persona/persona.h"
#include "sensor/protocols/telnet/telnet_decoder.h"
#include "sensor/session/kept_files.h"
#include "sensor/session/session.h"
#include "sensor/shell/emulated_shell.h"

namespace mitsu::sensor::telnet {

inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

class TelnetSession final : public Session {
 public:
  TelnetSession(const DevicePersona& persona, std::shared_ptr<const FakeFilesystem> filesystem,
                LoginGate& gate, std::int64_t now_s);

  SessionActions open() override;
  SessionActions receive(std::span<const std::byte> bytes) override;
  SessionActions finish() override;
  void downloaded(const DownloadRequest& request, std::string_view content) override;

 private:
  enum class Stage { kUser, kPassword, kShell, kClosed };
  void on_line(std::string line, SessionActions& out);

  const DevicePersona& persona_;
  std::shared_ptr<const FakeFilesystem> filesystem_;
  LoginGate& gate_;
  std::int64_t now_s_;
  Decoder decoder_;
  Stage stage_ = Stage::kUser;
  std::string line_;
  bool after_cr_ = false;  // a CR ended the line: a following LF or NUL belongs to it
  std::string user_;
  int failures_ = 0;
  std::optional<EmulatedShell> shell_;
  KeptFiles kept_;
};

// Shell text as an NVT wants it: "\n" as "\r\n", 0xFF doubled.
std::string to_nvt(std::string_view text);

}  // namespace mitsu::sensor::telnet
