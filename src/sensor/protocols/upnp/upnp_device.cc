#include "sensor/protocols/upnp/upnp_device.h"

#include <fmt/format.h>

#include <charconv>
#include <map>

#include "core/markup.h"

namespace mitsu::sensor::upnp {
namespace {

constexpr std::string_view kEnvelopeOpen =
    "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>";
constexpr std::string_view kEnvelopeClose = "</s:Body></s:Envelope>\r\n";

// Arguments each known action takes and returns, for SCPDs (names only: control points read
// them to build requests, types are all strings to a lenient device).
struct ActionSpec {
  std::string_view name;
  std::vector<std::string_view> in;
  std::vector<std::string_view> out;
};

const std::map<std::string_view, std::vector<ActionSpec>>& action_specs() {
  static const std::map<std::string_view, std::vector<ActionSpec>> specs{
      {"WANIPConnection",
       {{"GetExternalIPAddress", {}, {"NewExternalIPAddress"}},
        {"GetStatusInfo", {}, {"NewConnectionStatus", "NewLastConnectionError", "NewUptime"}},
        {"GetConnectionTypeInfo", {}, {"NewConnectionType", "NewPossibleConnectionTypes"}},
        {"GetNATRSIPStatus", {}, {"NewRSIPAvailable", "NewNATEnabled"}},
        {"AddPortMapping",
         {"NewRemoteHost", "NewExternalPort", "NewProtocol", "NewInternalPort", "NewInternalClient",
          "NewEnabled", "NewPortMappingDescription", "NewLeaseDuration"},
         {}},
        {"DeletePortMapping", {"NewRemoteHost", "NewExternalPort", "NewProtocol"}, {}},
        {"GetGenericPortMappingEntry",
         {"NewPortMappingIndex"},
         {"NewRemoteHost", "NewExternalPort", "NewProtocol", "NewInternalPort", "NewInternalClient",
          "NewEnabled", "NewPortMappingDescription", "NewLeaseDuration"}},
        {"GetSpecificPortMappingEntry",
         {"NewRemoteHost", "NewExternalPort", "NewProtocol"},
         {"NewInternalPort", "NewInternalClient", "NewEnabled", "NewPortMappingDescription",
          "NewLeaseDuration"}}}},
      {"WANCommonInterfaceConfig",
       {{"GetCommonLinkProperties",
         {},
         {"NewWANAccessType", "NewLayer1UpstreamMaxBitRate", "NewLayer1DownstreamMaxBitRate",
          "NewPhysicalLinkStatus"}},
        {"GetTotalBytesSent", {}, {"NewTotalBytesSent"}},
        {"GetTotalBytesReceived", {}, {"NewTotalBytesReceived"}},
        {"GetTotalPacketsSent", {}, {"NewTotalPacketsSent"}},
        {"GetTotalPacketsReceived", {}, {"NewTotalPacketsReceived"}}}},
      {"Layer3Forwarding",
       {{"GetDefaultConnectionService", {}, {"NewDefaultConnectionService"}},
        {"SetDefaultConnectionService", {"NewDefaultConnectionService"}, {}}}},
      {"ContentDirectory",
       {{"Browse",
         {"ObjectID", "BrowseFlag", "Filter", "StartingIndex", "RequestedCount", "SortCriteria"},
         {"Result", "NumberReturned", "TotalMatches", "UpdateID"}},
        {"GetSearchCapabilities", {}, {"SearchCaps"}},
        {"GetSortCapabilities", {}, {"SortCaps"}},
        {"GetSystemUpdateID", {}, {"Id"}}}},
      {"ConnectionManager",
       {{"GetProtocolInfo", {}, {"Source", "Sink"}},
        {"GetCurrentConnectionIDs", {}, {"ConnectionIDs"}}}},
  };
  return specs;
}

std::string service_xml(std::string_view type) {
  std::string name = service_name(type);
  return fmt::format(
      "<service><serviceType>{}</serviceType><serviceId>urn:upnp-org:serviceId:{}</serviceId>"
      "<controlURL>{}</controlURL><eventSubURL>/evt/{}</eventSubURL><SCPDURL>{}</SCPDURL>"
      "</service>",
      type, name, control_path(type), name, scpd_path(type));
}

std::optional<int> port_number(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return value;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

using Values = std::vector<std::pair<std::string, std::string>>;

SoapReply response(const SoapCall& call, const Values& values) {
  std::string body = fmt::format("{}<u:{}Response xmlns:u=\"{}\">", kEnvelopeOpen, call.action,
                                 markup_escape(call.service_type));
  for (const auto& [name, value] : values) {
    body += fmt::format("<{0}>{1}</{0}>", name, markup_escape(value));
  }
  body += fmt::format("</u:{}Response>{}", call.action, kEnvelopeClose);
  return {200, std::move(body)};
}

SoapReply fault(int code, std::string_view description) {
  return {500, fmt::format("{}<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError"
                           "</faultstring><detail><UPnPError xmlns=\"urn:schemas-upnp-org:"
                           "control-1-0\"><errorCode>{}</errorCode><errorDescription>{}"
                           "</errorDescription></UPnPError></detail></s:Fault>{}",
                           kEnvelopeOpen, code, description, kEnvelopeClose)};
}

Values mapping_values(const PortMapping& m, bool with_key) {
  Values v;
  if (with_key) {
    v = {{"NewRemoteHost", m.remote_host},
         {"NewExternalPort", std::to_string(m.external_port)},
         {"NewProtocol", m.protocol}};
  }
  v.insert(v.end(), {{"NewInternalPort", std::to_string(m.internal_port)},
                     {"NewInternalClient", m.internal_client},
                     {"NewEnabled", m.enabled ? "1" : "0"},
                     {"NewPortMappingDescription", m.description},
                     {"NewLeaseDuration", std::to_string(m.lease_s)}});
  return v;
}

}  // namespace

std::string device_uuid(const DevicePersona& persona) {
  // The serial is 12 hex digits after randomise(); pad a fixed prefix to UUID shape.
  std::string hex;
  for (char c : persona.serial + persona.mac) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  hex.resize(32, '0');
  return fmt::format("uuid:{}-{}-4{}-8{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 3),
                     hex.substr(15, 3), hex.substr(18, 12));
}

std::string service_name(std::string_view service_type) {
  std::string_view s = service_type;
  if (std::size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    s = s.substr(0, colon);  // drop the version
  }
  if (std::size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    s = s.substr(colon + 1);
  }
  return std::string(s);
}

std::string control_path(std::string_view service_type) {
  return "/ctl/" + service_name(service_type);
}

std::string scpd_path(std::string_view service_type) {
  return "/" + service_name(service_type) + ".xml";
}

std::string service_at(const DevicePersona& persona, std::string_view path) {
  for (const std::string& type : persona.upnp_services) {
    if (control_path(type) == path) {
      return type;
    }
  }
  return {};
}

std::string description_xml(const DevicePersona& p) {
  std::string uuid = device_uuid(p);
  std::string friendly = p.upnp_friendly_name.empty() ? p.model : p.upnp_friendly_name;
  auto device = [&](std::string_view type, std::string_view name, std::string_view udn_suffix,
                    std::string_view services, std::string_view children) {
    return fmt::format(
        "<device><deviceType>{}</deviceType><friendlyName>{}</friendlyName>"
        "<manufacturer>{}</manufacturer><modelName>{}</modelName><modelNumber>{}</modelNumber>"
        "<serialNumber>{}</serialNumber><UDN>{}{}</UDN><serviceList>{}</serviceList>{}"
        "</device>",
        type, markup_escape(name), markup_escape(p.vendor), markup_escape(p.model),
        markup_escape(p.model), p.serial, uuid, udn_suffix, services, children);
  };
  // A gateway nests its WAN services the way IGD 1.0 does; other devices list theirs flat.
  std::string root_services, wan_services, connection_services;
  bool gateway = p.upnp_device_type.find("InternetGatewayDevice") != std::string::npos;
  for (const std::string& type : p.upnp_services) {
    std::string name = service_name(type);
    if (gateway && (name == "WANIPConnection" || name == "WANPPPConnection")) {
      connection_services += service_xml(type);
    } else if (gateway && name == "WANCommonInterfaceConfig") {
      wan_services += service_xml(type);
    } else {
      root_services += service_xml(type);
    }
  }
  std::string children;
  if (gateway) {
    std::string connection = device("urn:schemas-upnp-org:device:WANConnectionDevice:1",
                                    "WANConnectionDevice", "-wcd", connection_services, "");
    children = "<deviceList>" +
               device("urn:schemas-upnp-org:device:WANDevice:1", "WANDevice", "-wan", wan_services,
                      "<deviceList>" + connection + "</deviceList>") +
               "</deviceList>";
  }
  return fmt::format(
      "<?xml version=\"1.0\"?>\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><specVersion>"
      "<major>1</major><minor>0</minor></specVersion>{}</root>\r\n",
      device(p.upnp_device_type, friendly, "", root_services, children));
}

std::optional<std::string> scpd_xml(const DevicePersona& persona, std::string_view path) {
  for (const std::string& type : persona.upnp_services) {
    if (scpd_path(type) != path) {
      continue;
    }
    std::string actions;
    std::string variables;
    auto it = action_specs().find(service_name(type));
    if (it != action_specs().end()) {
      std::map<std::string_view, bool> seen;
      for (const ActionSpec& a : it->second) {
        std::string args;
        auto add = [&](std::string_view name, std::string_view direction) {
          args += fmt::format(
              "<argument><name>{0}</name><direction>{1}</direction>"
              "<relatedStateVariable>{0}</relatedStateVariable></argument>",
              name, direction);
          if (!seen[name]) {
            seen[name] = true;
            variables += fmt::format(
                "<stateVariable sendEvents=\"no\"><name>{}</name><dataType>string</dataType>"
                "</stateVariable>",
                name);
          }
        };
        for (std::string_view in : a.in) {
          add(in, "in");
        }
        for (std::string_view out : a.out) {
          add(out, "out");
        }
        actions += fmt::format("<action><name>{}</name><argumentList>{}</argumentList></action>",
                               a.name, args);
      }
    }
    return fmt::format(
        "<?xml version=\"1.0\"?>\r\n<scpd xmlns=\"urn:schemas-upnp-org:service-1-0\">"
        "<specVersion><major>1</major><minor>0</minor></specVersion><actionList>{}</actionList>"
        "<serviceStateTable>{}</serviceStateTable></scpd>\r\n",
        actions, variables);
  }
  return std::nullopt;
}

int PortMappingTable::add(PortMapping mapping) {
  std::lock_guard lock(mutex_);
  for (PortMapping& m : mappings_) {
    if (m.external_port == mapping.external_port && m.protocol == mapping.protocol &&
        m.remote_host == mapping.remote_host) {
      if (m.internal_client != mapping.internal_client) {
        return 718;  // ConflictInMappingEntry
      }
      m = std::move(mapping);
      return 0;
    }
  }
  if (mappings_.size() >= kMaxPortMappings) {
    return 728;  // NoPortMapsAvailable
  }
  mappings_.push_back(std::move(mapping));
  return 0;
}

bool PortMappingTable::remove(std::string_view remote_host, int external_port,
                              std::string_view protocol) {
  std::lock_guard lock(mutex_);
  for (auto it = mappings_.begin(); it != mappings_.end(); ++it) {
    if (it->external_port == external_port && it->protocol == protocol &&
        it->remote_host == remote_host) {
      mappings_.erase(it);
      return true;
    }
  }
  return false;
}

std::optional<PortMapping> PortMappingTable::at(std::size_t index) const {
  std::lock_guard lock(mutex_);
  if (index >= mappings_.size()) {
    return std::nullopt;
  }
  return mappings_[index];
}

std::optional<PortMapping> PortMappingTable::find(std::string_view remote_host, int external_port,
                                                  std::string_view protocol) const {
  std::lock_guard lock(mutex_);
  for (const PortMapping& m : mappings_) {
    if (m.external_port == external_port && m.protocol == protocol &&
        m.remote_host == remote_host) {
      return m;
    }
  }
  return std::nullopt;
}

SoapReply control(const DevicePersona& p, PortMappingTable& mappings, const SoapCall& call,
                  std::string_view local_address) {
  const std::string& a = call.action;
  auto key_port = port_number(call.argument("NewExternalPort"));
  std::string protocol = upper(call.argument("NewProtocol"));
  bool protocol_ok = protocol == "TCP" || protocol == "UDP";
  if (a == "GetExternalIPAddress") {
    return response(
        call, {{"NewExternalIPAddress",
                p.upnp_external_ip.empty() ? std::string(local_address) : p.upnp_external_ip}});
  }
  if (a == "GetStatusInfo") {
    return response(call, {{"NewConnectionStatus", "Connected"},
                           {"NewLastConnectionError", "ERROR_NONE"},
                           {"NewUptime", std::to_string(-p.boot_time_s)}});
  }
  if (a == "GetConnectionTypeInfo") {
    return response(
        call, {{"NewConnectionType", "IP_Routed"}, {"NewPossibleConnectionTypes", "IP_Routed"}});
  }
  if (a == "GetNATRSIPStatus") {
    return response(call, {{"NewRSIPAvailable", "0"}, {"NewNATEnabled", "1"}});
  }
  if (a == "AddPortMapping" || a == "AddAnyPortMapping") {
    auto internal = port_number(call.argument("NewInternalPort"));
    if (!key_port || !internal || !protocol_ok || call.argument("NewInternalClient").empty()) {
      return fault(402, "Invalid Args");
    }
    long lease = 0;
    std::string_view lease_text = call.argument("NewLeaseDuration");
    std::from_chars(lease_text.data(), lease_text.data() + lease_text.size(), lease);
    int error = mappings.add({std::string(call.argument("NewRemoteHost")), *key_port, protocol,
                              *internal, std::string(call.argument("NewInternalClient")),
                              call.argument("NewEnabled") != "0",
                              std::string(call.argument("NewPortMappingDescription")), lease});
    if (error == 718) {
      return fault(718, "ConflictInMappingEntry");
    }
    if (error != 0) {
      return fault(728, "NoPortMapsAvailable");
    }
    if (a == "AddAnyPortMapping") {
      return response(call, {{"NewReservedPort", std::to_string(*key_port)}});
    }
    return response(call, {});
  }
  if (a == "DeletePortMapping") {
    if (!key_port || !protocol_ok) {
      return fault(402, "Invalid Args");
    }
    if (!mappings.remove(call.argument("NewRemoteHost"), *key_port, protocol)) {
      return fault(714, "NoSuchEntryInArray");
    }
    return response(call, {});
  }
  if (a == "GetGenericPortMappingEntry") {
    std::size_t index = 0;
    std::string_view text = call.argument("NewPortMappingIndex");
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
    std::optional<PortMapping> m;
    if (ec == std::errc() && end == text.data() + text.size()) {
      m = mappings.at(index);
    }
    if (!m) {
      return fault(713, "SpecifiedArrayIndexInvalid");
    }
    return response(call, mapping_values(*m, true));
  }
  if (a == "GetSpecificPortMappingEntry") {
    std::optional<PortMapping> m;
    if (key_port && protocol_ok) {
      m = mappings.find(call.argument("NewRemoteHost"), *key_port, protocol);
    }
    if (!m) {
      return fault(714, "NoSuchEntryInArray");
    }
    return response(call, mapping_values(*m, false));
  }
  if (a == "GetCommonLinkProperties") {
    return response(call, {{"NewWANAccessType", "Ethernet"},
                           {"NewLayer1UpstreamMaxBitRate", "100000000"},
                           {"NewLayer1DownstreamMaxBitRate", "100000000"},
                           {"NewPhysicalLinkStatus", "Up"}});
  }
  if (a.starts_with("GetTotal")) {
    // Traffic counters that grow with uptime, as a device in use shows.
    std::int64_t per_second = a.find("Bytes") != std::string::npos ? 5113 : 7;
    return response(call, {{"New" + a.substr(3), std::to_string(-p.boot_time_s * per_second)}});
  }
  if (a == "GetDefaultConnectionService") {
    std::string wan;
    for (const std::string& type : p.upnp_services) {
      if (service_name(type) == "WANIPConnection") {
        wan = device_uuid(p) + "-wcd:WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConnection";
      }
    }
    return response(call, {{"NewDefaultConnectionService", wan}});
  }
  if (a == "Browse") {
    return response(call, {{"Result",
                            "<DIDL-Lite xmlns=\"urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/\">"
                            "</DIDL-Lite>"},
                           {"NumberReturned", "0"},
                           {"TotalMatches", "0"},
                           {"UpdateID", "1"}});
  }
  if (a == "GetSearchCapabilities") {
    return response(call, {{"SearchCaps", ""}});
  }
  if (a == "GetSortCapabilities") {
    return response(call, {{"SortCaps", "dc:title"}});
  }
  if (a == "GetSystemUpdateID") {
    return response(call, {{"Id", "1"}});
  }
  if (a == "GetProtocolInfo") {
    return response(call, {{"Source", "http-get:*:video/mpeg:*"}, {"Sink", ""}});
  }
  if (a == "GetCurrentConnectionIDs") {
    return response(call, {{"ConnectionIDs", "0"}});
  }
  return fault(401, "Invalid Action");
}

}  // namespace mitsu::sensor::upnp
