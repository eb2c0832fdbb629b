#pragma once
// For tests and benchmarks: one of the personas shipped in personas/, randomised from `seed` as
// a sensor randomises its own (none when the seed is empty).

#include <filesystem>
#include <string>
#include <string_view>

#include "sensor/persona/persona.h"

namespace mitsu::sensor {

inline Result<DevicePersona> shipped_persona(std::string_view name, std::string_view seed = {}) {
  auto persona = load_persona(std::filesystem::path(MITSU_DEFAULT_PERSONAS_DIR) /
                              (std::string(name) + ".toml"));
  if (persona && !seed.empty()) {
    randomise(*persona, seed);
  }
  return persona;
}

}  // namespace mitsu::sensor
