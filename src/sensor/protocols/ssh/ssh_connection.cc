#include "sensor/protocols/ssh/ssh_connection.h"

#include <fmt/format.h>
#include <libssh/callbacks.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <mutex>

#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor::ssh {
namespace fs = std::filesystem;

struct SshConnection::Channel {
  SshConnection* owner = nullptr;
  ssh_channel channel = nullptr;
  ssh_channel_callbacks_struct callbacks{};
  bool pty = false;
  bool interactive = false;
  bool ended = false;
  bool after_cr = false;
  std::string line;
};

namespace {

void init_libssh() {
  static std::once_flag once;
  std::call_once(once, [] {
    ssh_init();
    ssh_set_log_level(SSH_LOG_NOLOG);
  });
}

// "\n" as "\r\n" for a terminal (pty channels), as a tty's output processing does.
std::string for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  char previous = '\0';
  for (char c : text) {
    if (c == '\n' && previous != '\r') {
      out += '\r';
    }
    out += c;
    previous = c;
  }
  return out;
}

}  // namespace

Result<std::vector<fs::path>> ensure_host_keys(const fs::path& dir) {
  init_libssh();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return Error{fmt::format("ssh host keys: {}: {}", dir.string(), ec.message())};
  }
  std::vector<fs::path> keys;
  for (auto [name, type, bits] : {std::tuple{"ssh_host_ed25519_key", SSH_KEYTYPE_ED25519, 0},
                                  std::tuple{"ssh_host_rsa_key", SSH_KEYTYPE_RSA, 3072}}) {
    fs::path file = dir / name;
    if (!fs::exists(file)) {
      ssh_key key = nullptr;
      if (ssh_pki_generate(type, bits, &key) != SSH_OK) {
        return Error{fmt::format("ssh host keys: cannot generate {}", name)};
      }
      mode_t old = ::umask(077);
      int rc = ssh_pki_export_privkey_file(key, nullptr, nullptr, nullptr, file.c_str());
      ::umask(old);
      ssh_key_free(key);
      if (rc != SSH_OK) {
        return Error{fmt::format("ssh host keys: cannot write {}", file.string())};
      }
    }
    keys.push_back(file);
  }
  return keys;
}

Result<std::unique_ptr<SshEndpoint>> SshEndpoint::create(const DevicePersona& persona,
                                                         const std::vector<fs::path>& keys) {
  init_libssh();
  std::unique_ptr<SshEndpoint> e(new SshEndpoint());
  e->bind_ = ssh_bind_new();
  if (e->bind_ == nullptr) {
    return Error{"ssh: cannot create a server context"};
  }
  for (const fs::path& key : keys) {
    if (ssh_bind_options_set(e->bind_, SSH_BIND_OPTIONS_HOSTKEY, key.c_str()) != SSH_OK) {
      return Error{fmt::format("ssh: host key {}: {}", key.string(), ssh_get_error(e->bind_))};
    }
  }
  // libssh sends "SSH-2.0-" followed by this.
  std::string banner = persona.ssh_version.substr(std::string_view("SSH-2.0-").size());
  ssh_bind_options_set(e->bind_, SSH_BIND_OPTIONS_BANNER, banner.c_str());
  int quiet = SSH_LOG_NOLOG;
  ssh_bind_options_set(e->bind_, SSH_BIND_OPTIONS_LOG_VERBOSITY, &quiet);
  return e;
}

SshEndpoint::~SshEndpoint() {
  if (bind_ != nullptr) {
    ssh_bind_free(bind_);
  }
}

std::unique_ptr<OwnedStreamConnection> SshEndpoint::connect(int fd,
                                                            const SessionContext& context) const {
  return std::make_unique<SshConnection>(*this, fd, context.persona, context.filesystem,
                                         context.gate, context.now_s);
}

SshConnection::SshConnection(const SshEndpoint& endpoint, int fd, const DevicePersona& persona,
                             std::shared_ptr<const FakeFilesystem> filesystem, LoginGate& gate,
                             std::int64_t now_s)
    : persona_(persona), filesystem_(std::move(filesystem)), gate_(gate), now_s_(now_s) {
  session_ = ssh_new();
  if (session_ == nullptr || ssh_bind_accept_fd(endpoint.bind(), session_, fd) != SSH_OK) {
    ::close(fd);
    fail("ssh_error");
    return;
  }
  server_callbacks_.userdata = this;
  server_callbacks_.auth_password_function = &SshConnection::on_password;
  server_callbacks_.channel_open_request_session_function = &SshConnection::on_channel_open;
  ssh_callbacks_init(&server_callbacks_);
  ssh_set_server_callbacks(session_, &server_callbacks_);
  ssh_set_message_callback(session_, &SshConnection::on_message, this);
  ssh_set_auth_methods(session_, SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE);
  ssh_set_blocking(session_, 0);
}

SshConnection::~SshConnection() {
  if (event_ != nullptr) {
    ssh_event_remove_session(event_, session_);
    ssh_event_free(event_);
  }
  if (session_ != nullptr) {
    ssh_disconnect(session_);
    ssh_free(session_);
  }
}

void SshConnection::fail(std::string reason) {
  finished_ = true;
  if (end_reason_.empty()) {
    end_reason_ = std::move(reason);
  }
}

SessionActions SshConnection::step() {
  if (finished_) {
    return {};
  }
  if (!key_exchanged_) {
    int rc = ssh_handle_key_exchange(session_);
    if (rc == SSH_AGAIN) {
      return std::move(pending_);
    }
    if (rc != SSH_OK) {
      fail("ssh_error");  // scanners that only read the banner, broken clients
      return std::move(pending_);
    }
    key_exchanged_ = true;
    const char* banner = ssh_get_clientbanner(session_);
    client_version_ = banner != nullptr ? banner : "";
    event_ = ssh_event_new();
    ssh_event_add_session(event_, session_);
  }
  if (ssh_event_dopoll(event_, 0) == SSH_ERROR && !finished_) {
    fail("client_closed");
  }
  if (!finished_ && (ssh_get_status(session_) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0) {
    fail("client_closed");
  }
  // Output queued by the callbacks goes out now, not when the client next writes. The wait is
  // short: a client that stops reading must not hold the event loop (its output then waits for
  // its next message).
  if (!finished_) {
    ssh_blocking_flush(session_, 100);
  }
  SessionActions out = std::move(pending_);
  pending_ = {};
  return out;
}

bool SshConnection::check_login(std::string_view user, std::string_view password,
                                std::string_view method) {
  bool ok = gate_.accept(user, password);
  pending_.events.push_back({"login.attempt",
                             {{"user.name", user},
                              {"mitsu.login.password", password},
                              {"mitsu.login.method", method},
                              {"event.outcome", ok ? "success" : "failure"},
                              {"user_agent.original", client_version_}}});
  if (ok) {
    authenticated_ = true;
    shell_.emplace(persona_, filesystem_, now_s_);
  } else if (++failures_ >= kMaxAuthFailures) {
    fail("login_failed");
  }
  return ok;
}

int SshConnection::on_password(ssh_session, const char* user, const char* password, void* self) {
  auto* c = static_cast<SshConnection*>(self);
  return c->check_login(user != nullptr ? user : "", password != nullptr ? password : "",
                        "password")
             ? SSH_AUTH_SUCCESS
             : SSH_AUTH_DENIED;
}

// Keyboard-interactive is not in libssh's callback table: it arrives as a message.
int SshConnection::on_message(ssh_session session, ssh_message message, void* self) {
  auto* c = static_cast<SshConnection*>(self);
  if (ssh_message_type(message) != SSH_REQUEST_AUTH ||
      ssh_message_subtype(message) != SSH_AUTH_METHOD_INTERACTIVE) {
    return 1;  // not ours: libssh answers with its default
  }
  if (ssh_message_auth_kbdint_is_response(message) == 0) {
    // The answer comes in a message that no longer names the user.
    const char* user = ssh_message_auth_user(message);
    c->kbdint_user_ = user != nullptr ? user : "";
    const char* prompts[] = {"Password: "};
    char echo[] = {0};
    ssh_message_auth_interactive_request(message, "", "", 1, prompts, echo);
    return 0;
  }
  const std::string& user = c->kbdint_user_;
  const char* answer =
      ssh_userauth_kbdint_getnanswers(session) > 0 ? ssh_userauth_kbdint_getanswer(session, 0) : "";
  if (c->check_login(user, answer != nullptr ? answer : "", "keyboard-interactive")) {
    ssh_message_auth_reply_success(message, 0);
  } else {
    ssh_message_reply_default(message);
  }
  return 0;
}

ssh_channel SshConnection::on_channel_open(ssh_session session, void* self) {
  auto* c = static_cast<SshConnection*>(self);
  if (!c->authenticated_) {
    return nullptr;
  }
  Channel& ch = c->channels_.emplace_back();
  ch.owner = c;
  ch.channel = ssh_channel_new(session);
  ch.callbacks.userdata = &ch;
  ch.callbacks.channel_data_function = &SshConnection::on_data;
  ch.callbacks.channel_pty_request_function = &SshConnection::on_pty;
  ch.callbacks.channel_shell_request_function = &SshConnection::on_shell;
  ch.callbacks.channel_exec_request_function = &SshConnection::on_exec;
  ch.callbacks.channel_eof_function = &SshConnection::on_eof;
  ch.callbacks.channel_close_function = &SshConnection::on_close;
  ssh_callbacks_init(&ch.callbacks);
  ssh_set_channel_callbacks(ch.channel, &ch.callbacks);
  return ch.channel;
}

int SshConnection::on_pty(ssh_session, ssh_channel, const char*, int, int, int, int,
                          void* channel) {
  static_cast<Channel*>(channel)->pty = true;
  return SSH_OK;
}

int SshConnection::on_shell(ssh_session, ssh_channel, void* channel) {
  auto* ch = static_cast<Channel*>(channel);
  ch->interactive = true;
  SshConnection& c = *ch->owner;
  c.write(*ch, c.persona_.expand(c.persona_.motd));
  if (ch->pty) {
    c.write(*ch, c.persona_.expand(c.persona_.prompt));
  }
  return SSH_OK;
}

int SshConnection::on_exec(ssh_session, ssh_channel, const char* command, void* channel) {
  auto* ch = static_cast<Channel*>(channel);
  SshConnection& c = *ch->owner;
  c.run_line(*ch, command != nullptr ? command : "");
  c.end_channel(*ch, 0);
  return SSH_OK;
}

int SshConnection::on_data(ssh_session, ssh_channel, void* data, std::uint32_t len, int,
                           void* channel) {
  auto* ch = static_cast<Channel*>(channel);
  SshConnection& c = *ch->owner;
  if (!ch->interactive || ch->ended) {
    return static_cast<int>(len);  // input to an exec'd command: nothing reads it
  }
  const auto* bytes = static_cast<const char*>(data);
  for (std::uint32_t i = 0; i < len && !ch->ended; ++i) {
    char b = bytes[i];
    if (b == '\n' && ch->after_cr) {
      ch->after_cr = false;
      continue;
    }
    ch->after_cr = b == '\r';
    if (b == '\r' || b == '\n') {
      if (ch->pty) {
        c.write(*ch, "\n");
      }
      std::string line = std::move(ch->line);
      ch->line.clear();
      c.run_line(*ch, line);
      if (!ch->ended && ch->pty) {
        c.write(*ch, c.persona_.expand(c.persona_.prompt));
      }
    } else if (b == '\x04' && ch->line.empty()) {
      c.end_channel(*ch, 0);  // Ctrl-D
    } else if (b == '\x03') {
      ch->line.clear();
      if (ch->pty) {
        c.write(*ch, "^C\n" + c.persona_.expand(c.persona_.prompt));
      }
    } else if (b == '\x7f' || b == '\b') {
      if (!ch->line.empty()) {
        ch->line.pop_back();
        if (ch->pty) {
          c.write(*ch, "\b \b");
        }
      }
    } else if (ch->line.size() < kMaxLineBytes) {
      ch->line += b;
      if (ch->pty) {
        c.write(*ch, std::string_view(&b, 1));
      }
    } else {
      c.fail("limit");
    }
  }
  return static_cast<int>(len);
}

void SshConnection::on_eof(ssh_session, ssh_channel, void* channel) {
  auto* ch = static_cast<Channel*>(channel);
  if (!ch->line.empty() && !ch->ended) {
    ch->owner->run_line(*ch, ch->line);  // a last line without its newline (`ssh host < file`)
  }
  ch->owner->end_channel(*ch, 0);
}

void SshConnection::on_close(ssh_session, ssh_channel, void* channel) {
  static_cast<Channel*>(channel)->ended = true;
}

void SshConnection::run_line(Channel& channel, const std::string& line) {
  if (!shell_) {
    return;
  }
  if (line.find_first_not_of(" \t") != std::string::npos) {
    pending_.events.push_back(
        {"command", {{"process.command_line", line}, {"user_agent.original", client_version_}}});
  }
  ShellOutcome outcome = shell_->run(line, std::time(nullptr));
  write(channel, outcome.output);
  for (auto& d : outcome.downloads) {
    pending_.downloads.push_back(std::move(d));
  }
  for (const std::string& path : outcome.executed) {
    kept_.keep(*shell_, path, pending_);
  }
  if (outcome.exit) {
    end_channel(channel, 0);
  }
}

void SshConnection::write(Channel& channel, std::string_view text) {
  if (channel.ended || text.empty()) {
    return;
  }
  std::string bytes = channel.pty ? for_terminal(text) : std::string(text);
  ssh_channel_write(channel.channel, bytes.data(), static_cast<std::uint32_t>(bytes.size()));
}

void SshConnection::end_channel(Channel& channel, int status) {
  if (channel.ended) {
    return;
  }
  channel.ended = true;
  ssh_channel_request_send_exit_status(channel.channel, status);
  ssh_channel_send_eof(channel.channel);
  ssh_channel_close(channel.channel);
}

SessionActions SshConnection::finish() {
  if (shell_) {
    kept_.keep_all(*shell_, pending_);
  }
  finished_ = true;
  SessionActions out = std::move(pending_);
  pending_ = {};
  return out;
}

void SshConnection::downloaded(const DownloadRequest& request, std::string_view content) {
  if (shell_) {
    kept_.delivered(*shell_, request, content);
  }
}

}  // namespace mitsu::sensor::ssh
