// SSH's serving half: the endpoint factory, attached to the entry register.cc made. It lives in
// mitsu_sensor because it links libssh; register.cc stays in mitsu_sensor_logic.

#include "sensor/protocols/ssh/ssh_connection.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {

Status register_ssh_server(ProtocolRegistry& registry) {
  return registry.set_endpoint_factory(
      "ssh", [](const EndpointContext& c) -> Result<std::unique_ptr<OwnedStreamEndpoint>> {
        // Made on the first start and kept (read again for each listener).
        auto keys = ssh::ensure_host_keys(c.keys_dir);
        if (!keys) {
          return keys.failure();
        }
        auto endpoint = ssh::SshEndpoint::create(c.persona, *keys);
        if (!endpoint) {
          return endpoint.failure();
        }
        return std::unique_ptr<OwnedStreamEndpoint>(std::move(*endpoint));
      });
}

}  // namespace mitsu::sensor
