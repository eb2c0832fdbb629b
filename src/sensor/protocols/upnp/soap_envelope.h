#pragma once
// UPnP control requests (SOAP 1.1 over HTTP POST), read leniently: the action is the first
// element inside <Body>, its arguments the elements inside the action, namespace prefixes
// ignored and entities decoded. Exploits put shell commands in arguments (CVE-2014-8361's
// NewInternalClient), so values are kept as sent. Pure code over bytes, fuzzed.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mitsu::sensor::upnp {

inline constexpr std::size_t kMaxArguments = 64;
inline constexpr std::size_t kMaxArgumentBytes = 4096;

struct SoapCall {
  std::string service_type;  // urn:schemas-upnp-org:service:WANIPConnection:1
  std::string action;        // AddPortMapping
  std::vector<std::pair<std::string, std::string>> arguments;

  // The argument's value ("" when absent).
  std::string_view argument(std::string_view name) const;
};

// From the SOAPAction header ("urn:…:1#Action", quoted or not) and the envelope; the body wins
// where both name the action. nullopt when neither names one.
std::optional<SoapCall> parse_soap(std::string_view soap_action_header, std::string_view body);

// "&lt;a&gt;" → "<a>", numeric references included; unknown entities stay as written.
std::string xml_unescape(std::string_view text);

}  // namespace mitsu::sensor::upnp
