// The one list of the protocols Mitsu ships. Explicit calls rather than static registration
// objects: objects in a static library that nothing references are dropped by the linker, so
// self-registering files would silently vanish from some binaries (Zeek keeps such a list too).

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {

Status register_telnet(ProtocolRegistry& registry);
Status register_ssh(ProtocolRegistry& registry);
Status register_http(ProtocolRegistry& registry);
Status register_ftp(ProtocolRegistry& registry);
Status register_tftp(ProtocolRegistry& registry);
Status register_ssdp(ProtocolRegistry& registry);
Status register_smb(ProtocolRegistry& registry);

void register_builtin_protocols() {
  static std::once_flag once;
  std::call_once(once, [] {
    ProtocolRegistry& registry = ProtocolRegistry::instance();
    for (auto add : {register_telnet, register_ssh, register_http, register_ftp, register_tftp,
                     register_ssdp, register_smb}) {
      if (Status s = add(registry); !s) {
        // Two built-ins claiming one name or kind is a programming error.
        std::fprintf(stderr, "mitsu: %s\n", s.error().c_str());
        std::abort();
      }
    }
  });
}

}  // namespace mitsu::sensor
