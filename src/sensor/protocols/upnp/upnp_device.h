#pragma once
// A persona's UPnP device as control points see it over HTTP: the description (rootDesc.xml)
// with its services, each service's SCPD, and the SOAP actions a gateway or media server
// answers. Port mappings live in a table shared by every connection to the persona, so
// `upnpc -a` then `upnpc -l` see the same device.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/persona/persona.h"
#include "sensor/protocols/upnp/soap_envelope.h"

namespace mitsu::sensor::upnp {

inline constexpr std::string_view kDescriptionPath = "/rootDesc.xml";
inline constexpr std::size_t kMaxPortMappings = 128;

// "uuid:…", stable for a persona after randomise() (made from its serial number).
std::string device_uuid(const DevicePersona& persona);
// "urn:schemas-upnp-org:service:WANIPConnection:1" → "WANIPConnection".
std::string service_name(std::string_view service_type);
std::string control_path(std::string_view service_type);  // /ctl/WANIPConnection
std::string scpd_path(std::string_view service_type);     // /WANIPConnection.xml

std::string description_xml(const DevicePersona& persona);
// The SCPD served at `path`, if it is one of the persona's.
std::optional<std::string> scpd_xml(const DevicePersona& persona, std::string_view path);
// The service type whose control URL is `path` ("" when none).
std::string service_at(const DevicePersona& persona, std::string_view path);

struct PortMapping {
  std::string remote_host;
  int external_port = 0;
  std::string protocol;  // TCP or UDP
  int internal_port = 0;
  std::string internal_client;
  bool enabled = true;
  std::string description;
  long lease_s = 0;
};

class PortMappingTable {
 public:
  // 0 on success, else the UPnP error code (718: taken by another client, 728: table full).
  int add(PortMapping mapping);
  bool remove(std::string_view remote_host, int external_port, std::string_view protocol);
  std::optional<PortMapping> at(std::size_t index) const;
  std::optional<PortMapping> find(std::string_view remote_host, int external_port,
                                  std::string_view protocol) const;

 private:
  mutable std::mutex mutex_;
  std::vector<PortMapping> mappings_;
};

struct SoapReply {
  int status = 200;  // 500 with a UPnPError body
  std::string body;
  bool ok() const { return status == 200; }
};

// `local_address` is the sensor address the client reached (the WAN address when the persona
// names none).
SoapReply control(const DevicePersona& persona, PortMappingTable& mappings, const SoapCall& call,
                  std::string_view local_address);

}  // namespace mitsu::sensor::upnp
