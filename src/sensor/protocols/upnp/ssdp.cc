#include "sensor/protocols/upnp/ssdp.h"

#include <fmt/format.h>

#include <algorithm>

#include "sensor/protocols/upnp/upnp_device.h"

namespace mitsu::sensor::upnp {

std::optional<http::Request> parse_ssdp(std::span<const std::byte> datagram) {
  http::RequestParser parser;
  parser.feed(datagram);
  http::RequestParser::Result r = parser.next();
  if (r.status == http::RequestParser::Status::kNeedMore) {
    // Many bots leave off the closing blank line: a datagram is complete as it comes.
    constexpr std::string_view kEnd = "\r\n\r\n";
    parser.feed(std::as_bytes(std::span(kEnd.data(), kEnd.size())));
    r = parser.next();
  }
  if (r.status != http::RequestParser::Status::kRequest || r.request.method.empty()) {
    return std::nullopt;
  }
  return std::move(r.request);
}

std::vector<std::string> search_responses(const DevicePersona& p, std::string_view st,
                                          std::string_view location, bool compact) {
  std::string uuid = device_uuid(p);
  // (search target answered, USN) pairs, in the order UDA 1.0 lists them.
  std::vector<std::pair<std::string, std::string>> targets{
      {"upnp:rootdevice", uuid + "::upnp:rootdevice"},
      {uuid, uuid},
      {p.upnp_device_type, uuid + "::" + p.upnp_device_type}};
  for (const std::string& service : p.upnp_services) {
    targets.emplace_back(service, uuid + "::" + service);
  }
  std::vector<std::string> out;
  for (const auto& [target, usn] : targets) {
    if (st != "ssdp:all" && st != target) {
      continue;
    }
    std::string reply = fmt::format(
        "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: {}\r\n"
        "USN: {}\r\nEXT:\r\n",
        target, usn);
    if (!compact) {
      reply += fmt::format("SERVER: {}\r\n", p.upnp_server);
    }
    reply += fmt::format("LOCATION: {}\r\n\r\n", location);
    out.push_back(std::move(reply));
  }
  return out;
}

std::vector<std::string> SsdpResponder::answer(std::span<const std::byte> datagram,
                                               const std::function<std::string()>& local_address,
                                               bool compact) const {
  auto request = parse_ssdp(datagram);
  if (!request || request->method != "M-SEARCH" || persona_.upnp_device_type.empty()) {
    return {};
  }
  // LOCATION names the address this client reaches us on.
  std::string here = local_address();
  std::string host = here.find(':') != std::string::npos ? "[" + here + "]" : here;
  std::string location = fmt::format("http://{}:{}{}", host, description_port_, kDescriptionPath);
  return search_responses(persona_, request->header("ST"), location, compact);
}

SessionEvent SsdpResponder::record(std::span<const std::byte> datagram,
                                   const SentReplies& sent) const {
  nlohmann::json fields{{"mitsu.ssdp.request_bytes", datagram.size()},
                        {"mitsu.ssdp.replies", sent.count},
                        {"mitsu.ssdp.reply_bytes", sent.bytes}};
  if (sent.suppressed > 0) {
    fields["mitsu.ssdp.suppressed"] = sent.suppressed;
  }
  if (auto request = parse_ssdp(datagram)) {
    fields["http.request.method"] = request->method;
    for (auto [header, field] : {std::pair{"ST", "mitsu.ssdp.st"},
                                 {"MAN", "mitsu.ssdp.man"},
                                 {"NT", "mitsu.ssdp.nt"},
                                 {"NTS", "mitsu.ssdp.nts"},
                                 {"LOCATION", "mitsu.ssdp.location"},
                                 {"USER-AGENT", "user_agent.original"}}) {
      if (std::string_view value = request->header(header); !value.empty()) {
        fields[field] = std::string(value.substr(0, 1024));
      }
    }
  } else {
    fields["http.request.method"] = "(invalid)";
    fields["mitsu.ssdp.raw"] = std::string(reinterpret_cast<const char*>(datagram.data()),
                                           std::min<std::size_t>(datagram.size(), 512));
  }
  return {"ssdp.request", std::move(fields)};
}

}  // namespace mitsu::sensor::upnp
