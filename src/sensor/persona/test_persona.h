#pragma once
// A small persona for tests (and fuzz targets): a device named after its type that logs in
// root/xc3511 and prompts "<HOSTNAME> login: ".

#include <string>

#include "sensor/persona/persona.h"

namespace mitsu::sensor {

inline DevicePersona test_persona(std::string device_type, std::string arch, std::string hostname) {
  DevicePersona p;
  p.name = "test-" + device_type;
  p.device_type = std::move(device_type);
  p.vendor = "V";
  p.model = "M";
  p.arch = std::move(arch);
  p.hostname = std::move(hostname);
  p.login_prompt = p.hostname + " login: ";
  p.credentials.accept = {{"root", "xc3511"}};
  return p;
}

}  // namespace mitsu::sensor
