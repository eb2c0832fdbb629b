#include "sensor/protocols/telnet/telnet_session.h"

#include <ctime>

namespace mitsu::sensor::telnet {

std::string to_nvt(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  char previous = '\0';
  for (char c : text) {
    if (c == '\n' && previous != '\r') {
      out += '\r';
    }
    out += c;
    if (static_cast<std::uint8_t>(c) == kIac) {
      out += c;
    }
    previous = c;
  }
  return out;
}

TelnetSession::TelnetSession(const DevicePersona& persona,
                             std::shared_ptr<const FakeFilesystem> filesystem, LoginGate& gate,
                             std::int64_t now_s)
    : persona_(persona), filesystem_(std::move(filesystem)), gate_(gate), now_s_(now_s) {}

SessionActions TelnetSession::open() {
  SessionActions out;
  out.send = busybox_greeting();
  out.then_send =
      to_nvt(persona_.expand(persona_.telnet_banner)) + persona_.expand(persona_.login_prompt);
  return out;
}

SessionActions TelnetSession::receive(std::span<const std::byte> bytes) {
  SessionActions out;
  if (stage_ == Stage::kClosed) {
    return out;
  }
  Decoded decoded;
  decoder_.feed(bytes, decoded);
  for (const Negotiation& n : decoded.negotiations) {
    out.send += answer(n);
  }
  for (char c : decoded.data) {
    if (stage_ == Stage::kClosed) {
      break;
    }
    if ((c == '\n' || c == '\0') && after_cr_) {
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\r' || c == '\n') {
      if (stage_ != Stage::kPassword) {
        out.send += "\r\n";
      }
      on_line(std::move(line_), out);
      line_.clear();
      continue;
    }
    if (c == '\b' || c == '\x7f') {
      if (!line_.empty()) {
        line_.pop_back();
        if (stage_ != Stage::kPassword) {
          out.send += "\b \b";
        }
      }
      continue;
    }
    if (line_.size() >= kMaxLineBytes) {
      out.close = true;
      out.close_reason = "limit";
      stage_ = Stage::kClosed;
      break;
    }
    line_ += c;
    if (stage_ != Stage::kPassword) {
      out.send += to_nvt(std::string_view(&c, 1));  // telnetd said WILL ECHO
    }
  }
  return out;
}

void TelnetSession::on_line(std::string line, SessionActions& out) {
  switch (stage_) {
    case Stage::kUser:
      if (line.empty()) {
        out.send += persona_.expand(persona_.login_prompt);
        return;
      }
      user_ = std::move(line);
      stage_ = Stage::kPassword;
      out.send += persona_.expand(persona_.password_prompt);
      return;
    case Stage::kPassword: {
      bool ok = gate_.accept(user_, line);
      out.events.push_back({"login.attempt",
                            {{"user.name", user_},
                             {"mitsu.login.password", line},
                             {"mitsu.login.method", "password"},
                             {"event.outcome", ok ? "success" : "failure"}}});
      if (ok) {
        stage_ = Stage::kShell;
        shell_.emplace(persona_, filesystem_, now_s_);
        out.send +=
            "\r\n" + to_nvt(persona_.expand(persona_.motd)) + persona_.expand(persona_.prompt);
        return;
      }
      out.send += "\r\n" + persona_.login_failed + "\r\n";
      if (++failures_ >= persona_.max_login_failures) {
        out.close = true;
        out.close_reason = "login_failed";
        stage_ = Stage::kClosed;
        return;
      }
      stage_ = Stage::kUser;
      out.send += persona_.expand(persona_.login_prompt);
      return;
    }
    case Stage::kShell: {
      if (line.find_first_not_of(" \t") != std::string::npos) {
        out.events.push_back({"command", {{"process.command_line", line}}});
      }
      ShellOutcome result = shell_->run(line, std::time(nullptr));
      out.send += to_nvt(result.output);
      for (auto& d : result.downloads) {
        out.downloads.push_back(std::move(d));
      }
      for (const std::string& path : result.executed) {
        kept_.keep(*shell_, path, out);
      }
      if (result.exit) {
        out.close = true;
        out.close_reason = "logout";
        stage_ = Stage::kClosed;
        return;
      }
      out.send += persona_.expand(persona_.prompt);
      return;
    }
    case Stage::kClosed:
      return;
  }
}

SessionActions TelnetSession::finish() {
  SessionActions out;
  if (shell_) {
    kept_.keep_all(*shell_, out);
  }
  stage_ = Stage::kClosed;
  return out;
}

void TelnetSession::downloaded(const DownloadRequest& request, std::string_view content) {
  if (shell_) {
    kept_.delivered(*shell_, request, content);
  }
}

}  // namespace mitsu::sensor::telnet
