// What serving the built-in protocols needs beyond mitsu_sensor_logic: factories that use
// libraries a binary which only parses events should not link (libssh). Kept beside the one
// list in builtin_protocols.cc, and like it explicit: the runtime names no protocol, so nothing
// would otherwise pull these objects out of the static library.

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {

Status register_ssh_server(ProtocolRegistry& registry);

void register_builtin_servers() {
  register_builtin_protocols();
  static std::once_flag once;
  std::call_once(once, [] {
    ProtocolRegistry& registry = ProtocolRegistry::instance();
    for (auto add : {register_ssh_server}) {
      if (Status s = add(registry); !s) {
        std::fprintf(stderr, "mitsu: %s\n", s.error().c_str());
        std::abort();
      }
    }
  });
}

}  // namespace mitsu::sensor
