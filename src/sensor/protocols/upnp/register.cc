// UPnP's registration as protocol "ssdp": the runtime's UDP responder driver answers M-SEARCH
// through an SsdpResponder, behind its reflection guard (description and SOAP control are served
// by the persona's HTTP listener). The [upnp] persona section describes the device; kinds
// ssdp.request and upnp.action (the SOAP calls the HTTP session decodes).

#include <fmt/format.h>

#include <array>

#include "sensor/persona/persona.h"
#include "sensor/protocols/upnp/ssdp.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {
namespace {

using enum FieldType;
using enum Presence;

constexpr std::array kSsdpRequest{
    FieldRule{"/http/request/method", kNonEmptyString, kRequired},
    FieldRule{"/mitsu/ssdp/request_bytes", kNonNegativeInt, kRequired},
    FieldRule{"/mitsu/ssdp/replies", kNonNegativeInt, kRequired},
    FieldRule{"/mitsu/ssdp/reply_bytes", kNonNegativeInt, kRequired},
};

constexpr std::array kUpnpAction{
    FieldRule{"/mitsu/upnp/action", kNonEmptyString, kRequired},
    FieldRule{"/mitsu/upnp/service", kString, kOptional},
    FieldRule{"/event/outcome", kOutcome, kRequired},
};

constexpr std::array<std::string_view, 5> kSsdpSummary{"/http/request/method", "/mitsu/ssdp/st",
                                                       "/mitsu/ssdp/man", "/user_agent/original",
                                                       "/mitsu/ssdp/replies"};
constexpr std::array<std::string_view, 3> kUpnpSummary{"/mitsu/upnp/service", "/mitsu/upnp/action",
                                                       "/event/outcome"};

Status read_key(const TomlReader& r, const toml::node& node, std::string_view name,
                const std::string& key, DevicePersona& p) {
  if (name == "device_type") {
    return r.string(node, key, p.upnp_device_type);
  }
  if (name == "server") {
    return r.string(node, key, p.upnp_server);
  }
  if (name == "friendly_name") {
    return r.string(node, key, p.upnp_friendly_name);
  }
  if (name == "external_ip") {
    return r.string(node, key, p.upnp_external_ip);
  }
  const toml::array* list = node.as_array();  // services
  if (list == nullptr) {
    return r.at(node, key, "expected an array of service type URNs");
  }
  for (const toml::node& item : *list) {
    std::string service;
    if (Status e = r.string(item, key, service); !e) {
      return e;
    }
    p.upnp_services.push_back(std::move(service));
  }
  return {};
}

// The persona must describe a device, and its HTTP listener serve the description LOCATION names.
Result<std::unique_ptr<DatagramResponder>> make_responder(const ResponderContext& c) {
  if (c.persona.upnp_device_type.empty()) {
    return Error{fmt::format("sensor: ssdp on port {}: persona {} has no [upnp] section", c.port,
                             c.persona.name)};
  }
  int description_port = c.bound_port("http");
  if (description_port == 0) {
    return Error{fmt::format(
        "sensor: ssdp for {} needs an http listener for the same persona (its description)",
        c.persona.name)};
  }
  return std::unique_ptr<DatagramResponder>(
      std::make_unique<upnp::SsdpResponder>(c.persona, description_port));
}

}  // namespace

Status register_ssdp(ProtocolRegistry& registry) {
  ProtocolInfo info;
  info.name = "ssdp";
  info.transport = "udp";
  info.default_ports = {1900};
  info.mode = ServeMode::kResponder;
  info.multicast_by_default = true;
  info.multicast_group = upnp::kMulticastGroup;
  info.multicast_port = upnp::kMulticastPort;
  info.persona_section = "upnp";
  info.persona_keys = {"device_type", "server", "friendly_name", "services", "external_ip"};
  info.read_persona_key = read_key;
  info.make_responder = make_responder;
  info.event_kinds = {{"ssdp.request", EventScope::kSession, kSsdpRequest, kSsdpSummary},
                      {"upnp.action", EventScope::kSession, kUpnpAction, kUpnpSummary}};
  return registry.add(std::move(info));
}

}  // namespace mitsu::sensor
