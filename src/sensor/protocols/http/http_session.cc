#include "sensor/protocols/http/http_session.h"

#include <fmt/format.h>

#include <ctime>

namespace mitsu::sensor::http {
namespace {

std::string_view reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 413:
      return "Request Entity Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    default:
      return "OK";
  }
}

// application/x-www-form-urlencoded field value ("" when absent).
std::string form_field(std::string_view body, std::string_view name) {
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t end = body.find('&', pos);
    std::string_view pair = body.substr(pos, end == std::string_view::npos ? end : end - pos);
    std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && percent_decode(pair.substr(0, eq), true) == name) {
      return percent_decode(pair.substr(eq + 1), true);
    }
    if (end == std::string_view::npos) {
      break;
    }
    pos = end + 1;
  }
  return {};
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    return c >= 'A' && c <= 'Z'   ? c - 'A'
           : c >= 'a' && c <= 'z' ? c - 'a' + 26
           : c >= '0' && c <= '9' ? c - '0' + 52
           : c == '+'             ? 62
           : c == '/'             ? 63
                                  : -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') {
      break;
    }
    int v = value(c);
    if (v < 0) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string client_fingerprint(const Request& request) {
  // FNV-1a over what a client tool fixes and an address does not.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](std::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;
    h *= 0x100000001b3ULL;
  };
  mix(request.method);
  mix(request.version);
  for (const auto& [name, value] : request.headers) {
    mix(name);
  }
  mix(request.header("User-Agent"));
  return fmt::format("{:016x}", h);
}

HttpSession::HttpSession(const DevicePersona& persona,
                         std::shared_ptr<const FakeFilesystem> filesystem,
                         std::shared_ptr<const ExploitRules> exploits, LoginGate& gate,
                         std::int64_t now_s, std::shared_ptr<upnp::PortMappingTable> port_mappings)
    : persona_(persona),
      filesystem_(std::move(filesystem)),
      exploits_(std::move(exploits)),
      port_mappings_(std::move(port_mappings)),
      gate_(gate),
      now_s_(now_s) {}

SessionActions HttpSession::receive(std::span<const std::byte> bytes) {
  SessionActions out;
  if (closed_) {
    return out;
  }
  parser_.feed(bytes);
  for (;;) {
    RequestParser::Result r = parser_.next();
    if (r.status == RequestParser::Status::kNeedMore) {
      break;
    }
    if (r.status == RequestParser::Status::kError) {
      Request none;
      none.version = "HTTP/1.0";
      respond(none, r.error_status, "text/html",
              fmt::format("<html><body><h1>{} {}</h1></body></html>\n", r.error_status,
                          reason(r.error_status)),
              out);
      out.close = true;
      out.close_reason = "protocol_error";
      closed_ = true;
      break;
    }
    handle(r.request, out);
    if (++requests_ >= kMaxRequestsPerConnection || !r.request.keep_alive()) {
      out.close = true;
      out.close_reason = requests_ >= kMaxRequestsPerConnection ? "limit" : "client_closed";
      closed_ = true;
      break;
    }
  }
  return out;
}

SessionEvent request_event(const Request& request) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : request.headers) {
    headers[name] = value.substr(0, 1024);
  }
  nlohmann::json fields{{"http.request.method", request.method},
                        {"url.original", request.target},
                        {"url.path", request.path},
                        {"http.version", request.version},
                        {"http.request.body.bytes", request.body.size()},
                        {"mitsu.http.headers", std::move(headers)},
                        {"mitsu.http.fingerprint", client_fingerprint(request)}};
  if (!request.query.empty()) {
    fields["url.query"] = request.query;
  }
  if (!request.body.empty()) {
    fields["http.request.body.content"] = request.body.substr(0, kEventBodyBytes);
  }
  if (std::string_view ua = request.header("User-Agent"); !ua.empty()) {
    fields["user_agent.original"] = ua;
  }
  return {"http.request", std::move(fields)};
}

SessionEvent exploit_event(const ExploitMatch& match) {
  nlohmann::json exploit{{"rule.id", match.rule->id}, {"rule.name", match.rule->name}};
  if (!match.rule->cves.empty()) {
    exploit["vulnerability.id"] = match.rule->cves;
  }
  return {"exploit", std::move(exploit)};
}

void HttpSession::handle(const Request& request, SessionActions& out) {
  out.events.push_back(request_event(request));

  // Logins: Basic credentials once per connection and pair, and the persona's login form.
  bool authorised = false;
  if (std::string_view auth = request.header("Authorization"); auth.starts_with("Basic ")) {
    auto decoded = base64_decode(auth.substr(6));
    if (decoded && decoded->find(':') != std::string::npos) {
      std::string user = decoded->substr(0, decoded->find(':'));
      std::string password = decoded->substr(decoded->find(':') + 1);
      if (*decoded != last_basic_) {
        authorised = gate_.accept(user, password);
        out.events.push_back({"login.attempt",
                              {{"user.name", user},
                               {"mitsu.login.password", password},
                               {"mitsu.login.method", "basic"},
                               {"event.outcome", authorised ? "success" : "failure"}}});
        last_basic_ = *decoded;
      } else {
        authorised = true;  // reported already; a browser repeats it on every request
      }
    }
  }
  if (!persona_.http_login_path.empty() && request.method == "POST" &&
      request.path == persona_.http_login_path) {
    std::string user = form_field(request.body, persona_.http_user_field);
    std::string password = form_field(request.body, persona_.http_password_field);
    bool ok = gate_.accept(user, password);
    out.events.push_back({"login.attempt",
                          {{"user.name", user},
                           {"mitsu.login.password", password},
                           {"mitsu.login.method", "form"},
                           {"event.outcome", ok ? "success" : "failure"}}});
    respond(request, 302, "text/html", "", out,
            ok ? "Location: /\r\n" : "Location: " + persona_.http_login_path + "?error=1\r\n");
    return;
  }

  if (exploits_) {
    for (const ExploitMatch& m : exploits_->match(request)) {
      out.events.push_back(exploit_event(m));
      if (!m.command.empty()) {
        run_injected(m.command, out);
      }
    }
  }

  if (port_mappings_ && handle_upnp(request, out)) {
    return;
  }
  for (const HttpPage& page : persona_.http_pages) {
    if (page.path != request.path) {
      continue;
    }
    if (page.auth && !authorised && !persona_.http_realm.empty()) {
      respond(request, 401, "text/html",
              "<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1>"
              "</body></html>\n",
              out, fmt::format("WWW-Authenticate: Basic realm=\"{}\"\r\n", persona_.http_realm));
      return;
    }
    respond(request, page.status, page.content_type, page.body, out);
    return;
  }
  respond(request, 404, "text/html",
          "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>"
          "<p>The requested URL was not found on this server.</p></body></html>\n",
          out);
}

bool HttpSession::handle_upnp(const Request& request, SessionActions& out) {
  constexpr std::string_view kXml = "text/xml; charset=\"utf-8\"";
  if (request.method == "GET" || request.method == "HEAD") {
    if (request.path == upnp::kDescriptionPath) {
      respond(request, 200, kXml, upnp::description_xml(persona_), out);
      return true;
    }
    if (auto scpd = upnp::scpd_xml(persona_, request.path)) {
      respond(request, 200, kXml, *scpd, out);
      return true;
    }
    return false;
  }
  std::string service = upnp::service_at(persona_, request.path);
  if (request.method != "POST" || service.empty()) {
    return false;
  }
  std::optional<upnp::SoapCall> call = upnp::parse_soap(request.header("SOAPAction"), request.body);
  if (!call) {
    call = upnp::SoapCall{service, "", {}};
  }
  upnp::SoapReply reply = upnp::control(persona_, *port_mappings_, *call, local_address_);
  nlohmann::json arguments = nlohmann::json::object();
  for (const auto& [name, value] : call->arguments) {
    arguments[name] = value;
  }
  out.events.push_back(
      {"upnp.action",
       {{"mitsu.upnp.action", call->action.empty() ? "(none)" : call->action},
        {"mitsu.upnp.service", call->service_type.empty() ? service : call->service_type},
        {"mitsu.upnp.arguments", std::move(arguments)},
        {"event.outcome", reply.ok() ? "success" : "failure"}}});
  respond(request, reply.status, kXml, reply.body, out, "EXT:\r\n");
  return true;
}

void HttpSession::run_injected(const std::string& command, SessionActions& out) {
  if (!shell_) {
    shell_.emplace(persona_, filesystem_, now_s_);
  }
  out.events.push_back({"command", {{"process.command_line", command}}});
  ShellOutcome result = shell_->run(command, std::time(nullptr));
  for (auto& d : result.downloads) {
    out.downloads.push_back(std::move(d));
  }
  for (const std::string& path : result.executed) {
    kept_.keep(*shell_, path, out);
  }
}

void HttpSession::respond(const Request& request, int status, std::string_view content_type,
                          std::string_view body, SessionActions& out,
                          std::string_view extra_headers) {
  std::string version = request.version == "HTTP/1.1" ? "HTTP/1.1" : "HTTP/1.0";
  // Header order is part of a server's fingerprint: most put Server before Date, Boa the reverse.
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  std::string server = "Server: " + persona_.http_server + "\r\n";
  std::string dated = fmt::format("Date: {}\r\n", date);
  out.send += fmt::format(
      "{} {} {}\r\n{}{}Content-Type: {}\r\nContent-Length: {}\r\n{}Connection: {}\r\n\r\n", version,
      status, reason(status), persona_.http_date_first ? dated : server,
      persona_.http_date_first ? server : dated, content_type, body.size(), extra_headers,
      request.keep_alive() ? "keep-alive" : "close");
  if (request.method != "HEAD") {
    out.send += body;
  }
}

SessionActions HttpSession::finish() {
  SessionActions out;
  if (shell_) {
    kept_.keep_all(*shell_, out);
  }
  closed_ = true;
  return out;
}

void HttpSession::downloaded(const DownloadRequest& request, std::string_view content) {
  if (shell_) {
    kept_.delivered(*shell_, request, content);
  }
}

}  // namespace mitsu::sensor::http
