#pragma once
// SSH as the persona's device serves it, on libssh in server mode: host keys made on first start
// and kept, the persona's version banner, password and keyboard-interactive logins checked like
// Telnet's, and `exec` and `shell` channels feeding the same emulated shell. libssh owns the
// protocol; the runtime owns the socket and calls step() whenever it is readable, so an SSH
// session costs no thread. The runtime knows these only as an owned stream
// (session/owned_stream.h), from the endpoint factory in register_server.cc.

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "sensor/persona/persona.h"
#include "sensor/session/kept_files.h"
#include "sensor/session/owned_stream.h"
#include "sensor/session/session.h"
#include "sensor/shell/emulated_shell.h"

namespace mitsu::sensor::ssh {

inline constexpr int kMaxAuthFailures = 6;  // OpenSSH's MaxAuthTries
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;

// The sensor's host keys (Ed25519 and RSA) in `dir`, created on first use and kept, so the
// sensor's fingerprint stays the same across restarts.
Result<std::vector<std::filesystem::path>> ensure_host_keys(const std::filesystem::path& dir);

// One listener's libssh side: the keys and the persona's banner.
class SshEndpoint final : public OwnedStreamEndpoint {
 public:
  static Result<std::unique_ptr<SshEndpoint>> create(
      const DevicePersona& persona, const std::vector<std::filesystem::path>& keys);
  ~SshEndpoint() override;
  ssh_bind bind() const { return bind_; }
  std::unique_ptr<OwnedStreamConnection> connect(int fd,
                                                 const SessionContext& context) const override;

 private:
  SshEndpoint() = default;
  ssh_bind bind_ = nullptr;
};

class SshConnection final : public OwnedStreamConnection {
 public:
  // Takes ownership of `fd` (a duplicate of the runtime's socket).
  SshConnection(const SshEndpoint& endpoint, int fd, const DevicePersona& persona,
                std::shared_ptr<const FakeFilesystem> filesystem, LoginGate& gate,
                std::int64_t now_s);
  ~SshConnection() override;
  SshConnection(const SshConnection&) = delete;
  SshConnection& operator=(const SshConnection&) = delete;

  // Lets libssh process what arrived; returns what it led to.
  SessionActions step() override;
  bool finished() const override { return finished_; }
  const std::string& end_reason() const override { return end_reason_; }
  // The connection is ending: files left in the session.
  SessionActions finish() override;
  void downloaded(const DownloadRequest& request, std::string_view content) override;

 private:
  struct Channel;
  static int on_password(ssh_session, const char* user, const char* password, void* self);
  static ssh_channel on_channel_open(ssh_session, void* self);
  static int on_message(ssh_session, ssh_message message, void* self);
  static int on_data(ssh_session, ssh_channel, void* data, std::uint32_t len, int is_stderr,
                     void* channel);
  static int on_pty(ssh_session, ssh_channel, const char*, int, int, int, int, void* channel);
  static int on_shell(ssh_session, ssh_channel, void* channel);
  static int on_exec(ssh_session, ssh_channel, const char* command, void* channel);
  static void on_eof(ssh_session, ssh_channel, void* channel);
  static void on_close(ssh_session, ssh_channel, void* channel);

  bool check_login(std::string_view user, std::string_view password, std::string_view method);
  void run_line(Channel& channel, const std::string& line);
  void write(Channel& channel, std::string_view text);
  void end_channel(Channel& channel, int status);
  void fail(std::string reason);

  const DevicePersona& persona_;
  std::shared_ptr<const FakeFilesystem> filesystem_;
  LoginGate& gate_;
  std::int64_t now_s_;
  ssh_session session_ = nullptr;
  ssh_event event_ = nullptr;
  ssh_server_callbacks_struct server_callbacks_{};
  bool key_exchanged_ = false;
  bool authenticated_ = false;
  int failures_ = 0;
  std::string client_version_;
  std::string kbdint_user_;
  std::optional<EmulatedShell> shell_;
  std::list<Channel> channels_;  // stable addresses: libssh holds pointers to them
  KeptFiles kept_;
  SessionActions pending_;
  bool finished_ = false;
  std::string end_reason_;
};

}  // namespace mitsu::sensor::ssh
