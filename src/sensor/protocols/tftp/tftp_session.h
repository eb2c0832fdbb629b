#pragma once
// One TFTP transfer, from its request to its last acknowledgement: a read (RRQ) is served from
// the persona's filesystem, a write (WRQ, what `busybox tftp -p` pushes) is kept as an
// artifact — whole, or as far as it got. The runtime owns the UDP socket (a new port per
// transfer, as RFC 1350 asks) and calls retransmit() when the client goes quiet; it knows the
// session only as a TransferSession, from the factory in register.cc.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sensor/persona/persona.h"
#include "sensor/protocols/tftp/tftp_packet.h"
#include "sensor/session/session.h"
#include "sensor/session/transfer_session.h"
#include "sensor/shell/fake_filesystem.h"

namespace mitsu::sensor::tftp {

inline constexpr std::size_t kMaxTransferBytes = 16 * 1024 * 1024;
inline constexpr int kMaxRetransmits = 5;
// Relative names are looked up here first, as a device's tftpd root.
inline constexpr std::string_view kTftpRoot = "/tftpboot";
// A device's tftpd answers after a moment (inetd forks it); clients that listen for the answer
// on a socket they open after sending — nmap's tftp-enum — depend on that.
inline constexpr auto kFirstReplyDelay = std::chrono::milliseconds(100);

// Whether a datagram on the well-known port opens a transfer: a read or write request.
bool opens_transfer(std::span<const std::byte> datagram);

class TftpSession final : public TransferSession {
 public:
  TftpSession(std::shared_ptr<const FakeFilesystem> filesystem, std::string request);

  // The reply to the request (first DATA, ACK 0, OACK or ERROR) and its tftp.request event.
  SessionActions open() override;
  SessionActions receive(std::span<const std::byte> datagram) override;
  // Uploads that stopped short are kept as they are.
  SessionActions finish() override;
  void downloaded(const DownloadRequest&, std::string_view) override {}

  // The last packet again; closes the session after kMaxRetransmits.
  SessionActions retransmit() override;
  bool done() const override { return done_; }
  // Seconds of silence before retransmit() (the client's "timeout" option, 1–255).
  int timeout_s() const override { return timeout_s_; }
  std::chrono::milliseconds first_reply_delay() const override { return kFirstReplyDelay; }

 private:
  void send(SessionActions& out, std::string packet);
  void fail(SessionActions& out, std::uint16_t code, std::string_view message);
  void send_block(SessionActions& out);
  void complete(SessionActions& out);

  std::shared_ptr<const FakeFilesystem> filesystem_;
  std::string request_bytes_;
  bool upload_ = false;
  std::string path_;
  std::string content_;  // to send, or received so far
  std::size_t block_size_ = 512;
  std::uint16_t block_ = 0;  // last block sent (read) or acknowledged (write)
  std::size_t sent_ = 0;     // bytes of content_ in blocks sent, for reads
  bool final_block_sent_ = false;
  std::string last_packet_;
  int retransmits_ = 0;
  int timeout_s_ = 3;
  bool done_ = false;
  bool kept_ = false;
};

}  // namespace mitsu::sensor::tftp
