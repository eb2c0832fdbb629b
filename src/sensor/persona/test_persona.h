#pragma once
// A small persona for tests (and fuzz targets): a device named after its type that logs in
// root/xc3511 and prompts "<HOSTNAME> login: ".

#include <string>

#include "sensor/persona/persona.h"
#include "sensor/session/session.h"

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

// A test router that is a UPnP Internet Gateway Device with one WANIPConnection service.
inline DevicePersona test_gateway() {
  DevicePersona p = test_persona("router", "mips", "GW");
  p.serial = "00A1B2C3D4E5";
  p.upnp_device_type = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
  p.upnp_services = {"urn:schemas-upnp-org:service:WANIPConnection:1"};
  return p;
}

// Lets in the test persona's root/xc3511 only.
class TestLoginGate : public LoginGate {
 public:
  bool accept(std::string_view user, std::string_view password) override {
    return user == "root" && password == "xc3511";
  }
};

// For fuzz targets: refuses the first login, accepts every later one, so both paths are taken.
class SecondTryGate : public LoginGate {
 public:
  bool accept(std::string_view, std::string_view) override { return ++tries_ >= 2; }

 private:
  int tries_ = 0;
};

}  // namespace mitsu::sensor
