#include "sensor/protocols/telnet/telnet_observer.h"

#include <algorithm>

namespace mitsu::sensor::telnet {
namespace {

constexpr std::size_t kTail = 256;
constexpr std::size_t kMaxLine = 4096;

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n' ||
                        s.back() == '\0' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ends_with_any(const std::string& s, std::initializer_list<std::string_view> endings) {
  return std::any_of(endings.begin(), endings.end(),
                     [&](std::string_view e) { return s.ends_with(e); });
}

}  // namespace

void TelnetObserver::report_login(bool success, SessionActions& out) {
  out.events.push_back({"login.attempt",
                        {{"user.name", user_},
                         {"mitsu.login.password", *password_},
                         {"mitsu.login.method", "password"},
                         {"event.outcome", success ? "success" : "failure"}}});
  password_.reset();
  logged_in_ = success;
}

void TelnetObserver::line(std::string text, SessionActions& out) {
  std::string tail = lower_trimmed(server_tail_);
  if (!logged_in_ && ends_with_any(tail, {"login:", "username:", "user name:"})) {
    user_ = std::move(text);
  } else if (!logged_in_ && ends_with_any(tail, {"password:"})) {
    password_ = std::move(text);
  } else if (logged_in_ && !text.empty()) {
    out.events.push_back({"command", {{"process.command_line", std::move(text)}}});
  }
  server_tail_.clear();
}

void TelnetObserver::from_client(std::span<const std::byte> bytes, SessionActions& out) {
  Decoded decoded;
  client_decoder_.feed(bytes, decoded);
  for (char c : decoded.data) {
    if (c == '\r' || c == '\n') {
      if (!client_line_.empty() || c == '\r') {
        line(std::move(client_line_), out);
        client_line_.clear();
      }
      continue;
    }
    if (c != '\0' && client_line_.size() < kMaxLine) {
      client_line_ += c;
    }
  }
}

void TelnetObserver::from_server(std::span<const std::byte> bytes, SessionActions& out) {
  Decoded decoded;
  server_decoder_.feed(bytes, decoded);
  server_tail_ += decoded.data;
  if (server_tail_.size() > kTail) {
    server_tail_.erase(0, server_tail_.size() - kTail);
  }
  if (!password_) {
    return;
  }
  // The device's verdict on the password just given: a refusal, another login prompt, or a
  // shell prompt.
  std::string tail = lower_trimmed(server_tail_);
  if (tail.find("incorrect") != std::string::npos || tail.find("failed") != std::string::npos ||
      tail.find("denied") != std::string::npos || tail.ends_with("login:")) {
    report_login(false, out);
  } else if (ends_with_any(tail, {"#", "$", ">"})) {
    report_login(true, out);
  }
}

void TelnetObserver::finish(SessionActions& out) {
  if (password_) {
    report_login(false, out);  // the device never answered: no way in
  }
}

}  // namespace mitsu::sensor::telnet
