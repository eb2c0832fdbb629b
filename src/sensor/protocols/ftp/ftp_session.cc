#include "sensor/protocols/ftp/ftp_session.h"

#include <fmt/format.h>

namespace mitsu::sensor::ftp {
namespace {

// "::ffff:192.0.2.1" and "192.0.2.1" are one peer.
std::string_view plain_address(std::string_view address) {
  if (address.starts_with("::ffff:") && address.find('.') != std::string_view::npos) {
    address.remove_prefix(7);
  }
  return address;
}

// The first argument that is not an `ls` option: "LIST -la /tmp" lists /tmp.
std::string_view path_argument(std::string_view argument) {
  while (argument.starts_with('-')) {
    std::size_t space = argument.find(' ');
    argument = space == std::string_view::npos ? std::string_view() : argument.substr(space + 1);
  }
  return argument;
}

}  // namespace

FtpSession::FtpSession(const DevicePersona& persona,
                       std::shared_ptr<const FakeFilesystem> filesystem, LoginGate& gate,
                       std::string peer_address)
    : persona_(persona),
      filesystem_(std::move(filesystem)),
      gate_(gate),
      peer_address_(plain_address(peer_address)) {}

SessionActions FtpSession::open() {
  SessionActions out;
  reply(out, persona_.expand(persona_.ftp_banner));
  return out;
}

void FtpSession::reply(SessionActions& out, std::string_view line) {
  out.send += line;
  out.send += "\r\n";
}

SessionActions FtpSession::receive(std::span<const std::byte> bytes) {
  SessionActions out;
  if (closed_) {
    return out;
  }
  reader_.feed(bytes);
  process(out);
  return out;
}

void FtpSession::process(SessionActions& out) {
  while (!closed_ && !waiting()) {
    std::optional<Command> command = reader_.next();
    if (!command) {
      if (reader_.overflowed()) {
        reply(out, "500 Command line too long.");
        out.close = true;
        out.close_reason = "protocol_error";
        closed_ = true;
      }
      return;
    }
    if (command->verb.empty()) {
      continue;
    }
    handle(*command, out);
  }
}

FakeFilesystem& FtpSession::writable() {
  if (!own_) {
    own_.emplace(*filesystem_);
  }
  return *own_;
}

std::string FtpSession::listing(const std::string& path, bool names_only) const {
  std::string out;
  auto line = [&](const std::string& name, const FakeFilesystem::Node& node) {
    if (names_only) {
      out += name + "\r\n";
      return;
    }
    std::string mode = node.directory ? "d" : "-";
    for (int shift = 6; shift >= 0; shift -= 3) {
      unsigned bits = (node.mode >> shift) & 7;
      mode += bits & 4 ? 'r' : '-';
      mode += bits & 2 ? 'w' : '-';
      mode += bits & 1 ? 'x' : '-';
    }
    out += fmt::format("{} {:>4} root     root     {:>8} Apr 13  2017 {}\r\n", mode,
                       node.directory ? 2 : 1, node.directory ? 0 : node.content.size(), name);
  };
  const FakeFilesystem::Node* node = files().find(path);
  if (node != nullptr && !node->directory) {
    line(path.substr(path.rfind('/') + 1), *node);
    return out;
  }
  for (const std::string& name : files().list(path)) {
    std::string child = path == "/" ? "/" + name : path + "/" + name;
    if (const FakeFilesystem::Node* n = files().find(child)) {
      line(name, *n);
    }
  }
  return out;
}

void FtpSession::handle(const Command& command, SessionActions& out) {
  const std::string& verb = command.verb;
  const std::string& arg = command.argument;
  if (verb != "PASS") {
    nlohmann::json fields{{"mitsu.ftp.verb", verb.substr(0, 16)}};
    if (!arg.empty()) {
      fields["mitsu.ftp.argument"] = arg;
    }
    out.events.push_back({"ftp.command", std::move(fields)});
  }
  if (handle_before_login(verb, arg, out)) {
    return;
  }
  if (!logged_in_) {
    reply(out, "530 Please login with USER and PASS.");
    return;
  }
  if (!handle_transfer(verb, arg, out)) {
    handle_files(verb, arg, out);
  }
}

std::string FtpSession::resolved(std::string_view path) const {
  return FakeFilesystem::resolve(cwd_, path.empty() ? "." : path);
}

bool FtpSession::data_ready(SessionActions& out) {
  if (passive_ready_ || active_) {
    return true;
  }
  reply(out, "425 Use PORT or PASV first.");
  return false;
}

// What works before a login: USER, PASS and the harmless commands. False: not one of them.
bool FtpSession::handle_before_login(const std::string& verb, const std::string& arg,
                                     SessionActions& out) {
  if (verb == "USER") {
    user_ = arg;
    logged_in_ = false;
    reply(out, "331 Please specify the password.");
    return true;
  }
  if (verb == "PASS") {
    if (user_.empty()) {
      reply(out, "503 Login with USER first.");
      return true;
    }
    bool anonymous = persona_.ftp_anonymous && (user_ == "anonymous" || user_ == "ftp");
    bool ok = anonymous || gate_.accept(user_, arg);
    out.events.push_back({"login.attempt",
                          {{"user.name", user_},
                           {"mitsu.login.password", arg},
                           {"mitsu.login.method", anonymous ? "anonymous" : "password"},
                           {"event.outcome", ok ? "success" : "failure"}}});
    if (ok) {
      logged_in_ = true;
      reply(out, "230 Login successful.");
      return true;
    }
    reply(out, "530 Login incorrect.");
    if (++failures_ >= kMaxLoginFailures) {
      reply(out, "421 Too many failed logins.");
      out.close = true;
      out.close_reason = "login_failures";
      closed_ = true;
    }
    return true;
  }
  if (verb == "QUIT") {
    reply(out, "221 Goodbye.");
    out.close = true;
    out.close_reason = "logout";
    closed_ = true;
    return true;
  }
  if (verb == "SYST") {
    reply(out, "215 UNIX Type: L8");
    return true;
  }
  if (verb == "FEAT") {
    reply(out, "211-Features:\r\n EPSV\r\n PASV\r\n REST STREAM\r\n MDTM\r\n SIZE\r\n211 Ok");
    return true;
  }
  if (verb == "NOOP") {
    reply(out, "200 NOOP ok.");
    return true;
  }
  if (verb == "HELP") {
    reply(out, "214 Help OK.");
    return true;
  }
  if (verb == "AUTH" || verb == "PBSZ" || verb == "PROT" || verb == "CCC") {
    reply(out, "502 Command not implemented.");
    return true;
  }
  if (verb == "OPTS") {
    reply(out, "200 Always in UTF8 mode.");
    return true;
  }
  return false;
}

// Data connections and transfers. False: not one of these commands.
bool FtpSession::handle_transfer(const std::string& verb, const std::string& arg,
                                 SessionActions& out) {
  if (verb == "PASV" || verb == "EPSV") {
    if (verb == "EPSV" && (arg == "ALL" || arg == "all")) {
      reply(out, "200 EPSV ALL ok.");
      return true;
    }
    extended_passive_ = verb == "EPSV";
    active_.reset();
    passive_ready_ = false;
    passive_requested_ = true;
  } else if (verb == "PORT" || verb == "EPRT") {
    auto endpoint = verb == "PORT" ? parse_port(arg) : parse_eprt(arg);
    if (!endpoint) {
      reply(out, fmt::format("501 Illegal {} command.", verb));
    } else if (plain_address(endpoint->address) != peer_address_) {
      reply(out, fmt::format("500 Illegal {} command.", verb));  // bounce to a third party
    } else {
      active_ = endpoint;
      passive_ready_ = false;
      reply(out, fmt::format("200 {} command successful. Consider using {}.", verb,
                             verb == "PORT" ? "PASV" : "EPSV"));
    }
  } else if (verb == "LIST" || verb == "NLST" || verb == "MLSD") {
    std::string path = resolved(path_argument(arg));
    if (files().find(path) == nullptr) {
      reply(out, "550 No such file or directory.");
    } else if (data_ready(out)) {
      pending_ = DataTransfer{false, listing(path, verb == "NLST"), path, false};
      reply(out, "150 Here comes the directory listing.");
    }
  } else if (verb == "RETR") {
    std::string path = resolved(arg);
    const FakeFilesystem::Node* node = files().find(path);
    if (node == nullptr || node->directory) {
      reply(out, "550 Failed to open file.");
    } else if (data_ready(out)) {
      pending_ = DataTransfer{false, node->content, path, false};
      reply(out, fmt::format("150 Opening BINARY mode data connection for {} ({} bytes).", arg,
                             node->content.size()));
    }
  } else if (verb == "STOR" || verb == "APPE" || verb == "STOU") {
    std::string path = verb == "STOU"
                           ? resolved(fmt::format("ftp{:04d}", files().list(cwd_).size()))
                           : resolved(arg);
    if (arg.empty() && verb != "STOU") {
      reply(out, "501 Syntax error in parameters or arguments.");
    } else if (files().is_directory(path)) {
      reply(out, "553 Could not create file.");
    } else if (data_ready(out)) {
      pending_ = DataTransfer{true, {}, path, verb == "APPE"};
      reply(out, verb == "STOU" ? fmt::format("150 FILE: {}", path) : "150 Ok to send data.");
    }
  } else {
    return false;
  }
  return true;
}

// Navigation and changes to the session's copy of the filesystem.
void FtpSession::handle_files(const std::string& verb, const std::string& arg,
                              SessionActions& out) {
  if (verb == "PWD" || verb == "XPWD") {
    reply(out, fmt::format("257 \"{}\" is the current directory", cwd_));
  } else if (verb == "CWD" || verb == "XCWD" || verb == "CDUP" || verb == "XCUP") {
    std::string target = resolved(verb == "CDUP" || verb == "XCUP" ? ".." : arg);
    if (files().is_directory(target)) {
      cwd_ = target;
      reply(out, "250 Directory successfully changed.");
    } else {
      reply(out, "550 Failed to change directory.");
    }
  } else if (verb == "TYPE") {
    reply(out, arg.starts_with('A') || arg.starts_with('a') ? "200 Switching to ASCII mode."
                                                            : "200 Switching to Binary mode.");
  } else if (verb == "MODE" || verb == "STRU") {
    reply(out, arg == "S" || arg == "F" ? "200 Mode set." : "504 Bad MODE command.");
  } else if (verb == "SIZE") {
    const FakeFilesystem::Node* node = files().find(resolved(arg));
    reply(out, node != nullptr && !node->directory ? fmt::format("213 {}", node->content.size())
                                                   : std::string("550 Could not get file size."));
  } else if (verb == "MDTM") {
    reply(out, files().find(resolved(arg)) != nullptr
                   ? "213 20170413110417"
                   : "550 Could not get file modification time.");
  } else if (verb == "DELE" || verb == "RMD" || verb == "XRMD") {
    bool removed =
        files().find(resolved(arg)) != nullptr && writable().remove(resolved(arg), false);
    reply(out, removed ? "250 Remove operation successful." : "550 Remove operation failed.");
  } else if (verb == "MKD" || verb == "XMKD") {
    std::string path = resolved(arg);
    if (arg.empty() || files().find(path) != nullptr) {
      reply(out, "550 Create directory operation failed.");
    } else {
      writable().add_directory(path);
      reply(out, fmt::format("257 \"{}\" created", path));
    }
  } else if (verb == "RNFR") {
    rename_from_ = files().find(resolved(arg)) != nullptr ? resolved(arg) : "";
    reply(out, rename_from_.empty() ? "550 RNFR command failed." : "350 Ready for RNTO.");
  } else if (verb == "RNTO") {
    const FakeFilesystem::Node* from = rename_from_.empty() ? nullptr : files().find(rename_from_);
    if (from == nullptr || from->directory) {
      reply(out, "503 RNFR required first.");
    } else {
      std::string content = from->content;
      writable().write(resolved(arg), content, false);
      writable().remove(rename_from_, false);
      reply(out, "250 Rename successful.");
    }
    rename_from_.clear();
  } else if (verb == "REST") {
    reply(out, fmt::format("350 Restart position accepted ({}).", arg));
  } else if (verb == "ABOR") {
    reply(out, "225 No transfer to ABOR.");
  } else if (verb == "ALLO") {
    reply(out, "202 ALLO command ignored.");
  } else if (verb == "STAT") {
    reply(out,
          fmt::format("211-FTP server status:\r\n Logged in as {}\r\n211 End of status", user_));
  } else if (verb == "SITE") {
    reply(out, "500 Unknown SITE command.");
  } else {
    reply(out, "500 Unknown command.");
  }
}

SessionActions FtpSession::passive_opened(std::string_view address, int port) {
  SessionActions out;
  passive_requested_ = false;
  if (port <= 0) {
    reply(out, "425 Cannot open passive connection.");
  } else if (extended_passive_) {
    passive_ready_ = true;
    reply(out, fmt::format("229 Entering Extended Passive Mode (|||{}|)", port));
  } else if (address.find(':') != std::string_view::npos) {
    reply(out, "425 Use EPSV with IPv6.");
  } else {
    passive_ready_ = true;
    std::string numbers(address);
    for (char& c : numbers) {
      c = c == '.' ? ',' : c;
    }
    reply(out,
          fmt::format("227 Entering Passive Mode ({},{},{}).", numbers, port / 256, port % 256));
  }
  process(out);
  return out;
}

std::optional<DataTransfer> FtpSession::take_transfer() {
  if (!pending_) {
    return std::nullopt;
  }
  current_ = std::move(*pending_);
  pending_.reset();
  in_transfer_ = true;
  return current_;
}

SessionActions FtpSession::transfer_done(std::string received, bool ok) {
  SessionActions out;
  if (!in_transfer_) {
    return out;
  }
  in_transfer_ = false;
  passive_ready_ = false;  // a passive port serves one transfer
  active_.reset();
  bool stored = true;
  if (current_.upload && (ok || !received.empty())) {
    // Kept even when the transfer broke off: a partial payload is still evidence.
    auto written = writable().write(current_.path, received, current_.append);
    stored = written == FakeFilesystem::WriteError::kNone;
    const FakeFilesystem::Node* node = own_->find(current_.path);
    out.captures.push_back({current_.path, stored && node != nullptr ? node->content : received});
  }
  if (!stored) {
    reply(out, "552 Requested file action aborted. Exceeded storage allocation.");
  } else {
    reply(out, ok ? "226 Transfer complete." : "426 Failure writing network stream.");
  }
  process(out);
  return out;
}

SessionActions FtpSession::finish() {
  closed_ = true;
  return {};
}

}  // namespace mitsu::sensor::ftp
