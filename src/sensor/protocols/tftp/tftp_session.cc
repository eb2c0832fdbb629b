#include "sensor/protocols/tftp/tftp_session.h"

#include <charconv>

namespace mitsu::sensor::tftp {
namespace {

std::optional<std::size_t> option_number(std::string_view text, std::size_t low, std::size_t high) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

bool opens_transfer(std::span<const std::byte> datagram) {
  // Only the opcode: a malformed request still opens a transfer, answered with an ERROR.
  return datagram.size() >= 4 && datagram[0] == std::byte{0} &&
         (datagram[1] == std::byte{1} || datagram[1] == std::byte{2});
}

TftpSession::TftpSession(std::shared_ptr<const FakeFilesystem> filesystem, std::string request)
    : filesystem_(std::move(filesystem)), request_bytes_(std::move(request)) {}

void TftpSession::send(SessionActions& out, std::string packet) {
  last_packet_ = packet;
  out.send = std::move(packet);
}

void TftpSession::fail(SessionActions& out, std::uint16_t code, std::string_view message) {
  out.send = error_packet(code, message);
  out.close = true;
  out.close_reason = "protocol_error";
  done_ = true;
}

SessionActions TftpSession::open() {
  SessionActions out;
  auto request = parse(std::as_bytes(std::span(request_bytes_.data(), request_bytes_.size())));
  if (!request || (request->opcode != Opcode::kRrq && request->opcode != Opcode::kWrq)) {
    fail(out, 4, "Illegal TFTP operation");
    return out;
  }
  upload_ = request->opcode == Opcode::kWrq;
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [name, value] : request->options) {
    options[name] = value;
  }
  out.events.push_back({"tftp.request",
                        {{"mitsu.tftp.operation", upload_ ? "write" : "read"},
                         {"file.name", request->filename},
                         {"mitsu.tftp.mode", request->mode},
                         {"mitsu.tftp.options", std::move(options)}}});
  bool absolute = request->filename.starts_with('/');
  path_ = FakeFilesystem::resolve(absolute ? "/" : kTftpRoot, request->filename);
  if (!upload_ && !absolute && filesystem_->find(path_) == nullptr) {
    path_ = FakeFilesystem::resolve("/", request->filename);
  }
  const FakeFilesystem::Node* node = upload_ ? nullptr : filesystem_->find(path_);
  if (!upload_ && (node == nullptr || node->directory)) {
    fail(out, 1, "File not found");
    return out;
  }
  if (node != nullptr) {
    content_ = node->content;
  }

  std::vector<std::pair<std::string, std::string>> accepted;
  for (const auto& [name, value] : request->options) {
    if (name == "blksize") {
      if (auto size = option_number(value, 8, 65464)) {
        block_size_ = *size;
        accepted.emplace_back(name, std::to_string(block_size_));
      }
    } else if (name == "timeout") {
      if (auto seconds = option_number(value, 1, 255)) {
        timeout_s_ = static_cast<int>(*seconds);
        accepted.emplace_back(name, value);
      }
    } else if (name == "tsize") {
      auto size = option_number(value, 0, SIZE_MAX);
      if (upload_ && size && *size > kMaxTransferBytes) {
        fail(out, 3, "Disk full or allocation exceeded");
        return out;
      }
      accepted.emplace_back(name, upload_ ? value : std::to_string(content_.size()));
    }
  }
  if (!accepted.empty()) {
    send(out, oack_packet(accepted));  // a read then waits for ACK 0, a write for DATA 1
  } else if (upload_) {
    send(out, ack_packet(0));
  } else {
    send_block(out);
  }
  return out;
}

void TftpSession::send_block(SessionActions& out) {
  std::size_t n = std::min(block_size_, content_.size() - sent_);
  ++block_;  // wraps at 65535 → 0, as tftp-hpa and busybox expect for big files
  send(out, data_packet(block_, std::string_view(content_).substr(sent_, n)));
  sent_ += n;
  final_block_sent_ = n < block_size_;
  retransmits_ = 0;
}

void TftpSession::complete(SessionActions& out) {
  done_ = true;
  out.close = true;
  out.close_reason = "complete";
  if (upload_ && !kept_) {
    out.captures.push_back({path_, content_});
    kept_ = true;
  }
}

SessionActions TftpSession::receive(std::span<const std::byte> datagram) {
  SessionActions out;
  if (done_) {
    return out;
  }
  auto packet = parse(datagram);
  if (!packet) {
    return out;  // noise on the port: the transfer goes on
  }
  if (packet->opcode == Opcode::kError) {
    done_ = true;
    out.close = true;
    out.close_reason = "client_closed";
    if (upload_ && !content_.empty()) {
      out.captures.push_back({path_, content_});
      kept_ = true;
    }
    return out;
  }
  if (!upload_ && packet->opcode == Opcode::kAck) {
    if (packet->block != block_) {
      return out;  // a late duplicate: resending on it would double every packet
    }
    if (final_block_sent_) {
      complete(out);
    } else {
      send_block(out);
    }
    return out;
  }
  if (upload_ && packet->opcode == Opcode::kData) {
    if (packet->block == block_) {
      out.send = last_packet_;  // our ACK was lost
      return out;
    }
    if (packet->block != static_cast<std::uint16_t>(block_ + 1)) {
      return out;
    }
    if (content_.size() + packet->data.size() > kMaxTransferBytes) {
      std::size_t room = kMaxTransferBytes - content_.size();
      content_.append(packet->data, 0, room);
      out.captures.push_back({path_, content_});
      kept_ = true;
      fail(out, 3, "Disk full or allocation exceeded");
      out.close_reason = "limit";
      return out;
    }
    content_ += packet->data;
    ++block_;
    retransmits_ = 0;
    send(out, ack_packet(block_));
    if (packet->data.size() < block_size_) {
      complete(out);
    }
    return out;
  }
  if (packet->opcode == Opcode::kRrq || packet->opcode == Opcode::kWrq) {
    fail(out, 4, "Illegal TFTP operation");
  }
  return out;
}

SessionActions TftpSession::retransmit() {
  SessionActions out;
  if (done_) {
    return out;
  }
  if (++retransmits_ > kMaxRetransmits) {
    out = finish();
    out.close = true;
    out.close_reason = "idle_timeout";
    return out;
  }
  out.send = last_packet_;
  return out;
}

SessionActions TftpSession::finish() {
  SessionActions out;
  done_ = true;
  if (upload_ && !kept_ && !content_.empty()) {
    out.captures.push_back({path_, content_});
    kept_ = true;
  }
  return out;
}

}  // namespace mitsu::sensor::tftp
