#pragma once
// The persona's FTP daemon: logins as login.attempt events, every command as an ftp.command
// event, directory listings and downloads (RETR) from the persona's filesystem, and uploads
// (STOR/APPE/STOU) kept as artifacts with file.upload events. Data connections are the
// runtime's business: the session asks for a passive port or names the active endpoint, and
// is told what came through.

#include <memory>
#include <optional>
#include <string>

#include "sensor/persona/persona.h"
#include "sensor/protocols/ftp/ftp_command.h"
#include "sensor/session/data_channel.h"
#include "sensor/session/session.h"
#include "sensor/shell/fake_filesystem.h"

namespace mitsu::sensor::ftp {

inline constexpr int kMaxLoginFailures = 3;  // then 421 and close, as vsftpd does
inline constexpr std::size_t kMaxUploadBytes = 16 * 1024 * 1024;

using DataTransfer = sensor::DataTransfer;

class FtpSession final : public Session, public DataChannelSession {
 public:
  // `peer_address` is the control connection's source: active-mode connections go only there
  // (no FTP bounce through a honeypot).
  FtpSession(const DevicePersona& persona, std::shared_ptr<const FakeFilesystem> filesystem,
             LoginGate& gate, std::string peer_address);

  SessionActions open() override;
  SessionActions receive(std::span<const std::byte> bytes) override;
  SessionActions finish() override;
  void downloaded(const DownloadRequest&, std::string_view) override {}

  // PASV/EPSV was asked: the runtime opens a listener and reports its port (0: it could not).
  bool passive_requested() const override { return passive_requested_; }
  SessionActions passive_opened(std::string_view address, int port) override;
  // A LIST/RETR/STOR is ready for its data connection (its 150 reply is already in the
  // actions). Taken once.
  std::optional<DataTransfer> take_transfer() override;
  // Where to connect for the transfer in active mode; nullopt in passive mode.
  const std::optional<DataEndpoint>& active_endpoint() const override { return active_; }
  // The data connection ended; `received` holds an upload's bytes. Resumes commands that came
  // in behind the transfer.
  SessionActions transfer_done(std::string received, bool ok) override;
  std::size_t max_upload_bytes() const override { return kMaxUploadBytes; }

 private:
  void process(SessionActions& out);
  void handle(const Command& command, SessionActions& out);
  bool handle_before_login(const std::string& verb, const std::string& arg, SessionActions& out);
  bool handle_transfer(const std::string& verb, const std::string& arg, SessionActions& out);
  void handle_files(const std::string& verb, const std::string& arg, SessionActions& out);
  std::string resolved(std::string_view path) const;
  bool data_ready(SessionActions& out);
  void reply(SessionActions& out, std::string_view line);
  bool waiting() const { return passive_requested_ || pending_.has_value() || in_transfer_; }
  std::string listing(const std::string& path, bool names_only) const;
  FakeFilesystem& writable();
  const FakeFilesystem& files() const { return own_ ? *own_ : *filesystem_; }

  const DevicePersona& persona_;
  std::shared_ptr<const FakeFilesystem> filesystem_;
  std::optional<FakeFilesystem> own_;  // copied on the first upload
  LoginGate& gate_;
  std::string peer_address_;
  CommandReader reader_;
  std::string user_;
  bool logged_in_ = false;
  int failures_ = 0;
  std::string cwd_ = "/";
  std::string rename_from_;
  bool passive_requested_ = false;
  bool passive_ready_ = false;
  bool extended_passive_ = false;
  std::optional<DataEndpoint> active_;
  std::optional<DataTransfer> pending_;
  DataTransfer current_;
  bool in_transfer_ = false;
  bool closed_ = false;
};

}  // namespace mitsu::sensor::ftp
