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

void TelnetObserver::line(std::string_view text, SessionActions& out) {
  if (!logged_in_ && server_tail_.empty()) {
    return;  // no prompt asked for this line
  }
  std::string tail = lower_trimmed(server_tail_);
  if (!logged_in_ && ends_with_any(tail, {"login:", "username:", "user name:"})) {
    user_ = std::string(text);
  } else if (!logged_in_ && ends_with_any(tail, {"password:"})) {
    password_ = std::string(text);
  } else if (logged_in_ && !text.empty()) {
    out.events.push_back({"command", {{"process.command_line", std::string(text)}}});
  }
  server_tail_.clear();
}

void TelnetObserver::from_client(std::span<const std::byte> bytes, SessionActions& out) {
  Decoded decoded;
  client_decoder_.feed(bytes, decoded);
  std::string_view data = decoded.data;
  if (!logged_in_ && server_tail_.empty()) {
    // No prompt is waiting for an answer: whole lines mean nothing yet, only the unfinished
    // last one (a prompt may still come before it ends). Bulk data passes at memory speed.
    std::size_t last = data.find_last_of("\r\n");
    if (last != std::string_view::npos) {
      after_cr_ = data[last] == '\r';
      client_line_.clear();
      data.remove_prefix(last + 1);
    }
  }
  while (!data.empty()) {
    // (find_first_of with a set calls memchr once per byte here; one plain pass is faster)
    std::size_t end = std::string_view::npos;
    for (std::size_t i = 0; i < data.size(); ++i) {
      if (data[i] == '\r' || data[i] == '\n') {
        end = i;
        break;
      }
    }
    std::string_view part = data.substr(0, end);
    std::size_t room = kMaxLine - std::min(kMaxLine, client_line_.size());
    client_line_.append(part.substr(0, room));
    if (end == std::string_view::npos) {
      break;
    }
    // A line ends at CR or at an LF that is not the second half of CR LF.
    if (data[end] == '\r' || !client_line_.empty() || !after_cr_) {
      std::erase(client_line_, '\0');
      line(client_line_, out);
      client_line_.clear();
    }
    after_cr_ = data[end] == '\r';
    data.remove_prefix(end + 1);
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
