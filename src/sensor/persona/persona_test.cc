#include "sensor/persona/persona.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

TEST(Persona, ShippedPersonasLoadWithDistinctDevicesAndCpus) {
  auto personas = load_personas(MITSU_DEFAULT_PERSONAS_DIR);
  ASSERT_TRUE(personas) << personas.error();
  std::set<std::string> types;
  std::set<std::string> archs;
  std::set<int> ports;
  for (const DevicePersona& p : *personas) {
    types.insert(p.device_type);
    archs.insert(p.arch);
    EXPECT_FALSE(p.credentials.accept.empty()) << p.name;
    std::set<std::string> protocols;
    for (const auto& s : p.services) {
      protocols.insert(s.protocol);
    }
    for (const char* protocol : {"telnet", "ssh", "http", "tftp"}) {
      EXPECT_TRUE(protocols.contains(protocol)) << p.name << " has no " << protocol << " port";
    }
    EXPECT_FALSE(p.http_pages.empty()) << p.name;
    for (const auto& s : p.services) {
      EXPECT_TRUE(ports.insert(s.port).second) << p.name << " reuses port " << s.port;
      EXPECT_GE(s.port, 1024) << "the all-in-one default must not need root";
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"camera", "recorder", "intercom", "nas", "router"}));
  EXPECT_TRUE(archs.contains("arm"));
  EXPECT_TRUE(archs.contains("mips"));
  EXPECT_TRUE(archs.contains("mipsel"));
}

TEST(Persona, RandomisationIsStablePerSeedAndDiffersBetweenSensors) {
  auto personas = load_personas(MITSU_DEFAULT_PERSONAS_DIR);
  ASSERT_TRUE(personas);
  DevicePersona a = personas->front();
  DevicePersona b = personas->front();
  DevicePersona c = personas->front();
  randomise(a, "sensor-secret-1");
  randomise(b, "sensor-secret-1");
  randomise(c, "sensor-secret-2");
  EXPECT_EQ(a.mac, b.mac);
  EXPECT_EQ(a.serial, b.serial);
  EXPECT_EQ(a.hostname, b.hostname);
  EXPECT_EQ(a.boot_time_s, b.boot_time_s);
  EXPECT_NE(a.mac, c.mac);
  EXPECT_NE(a.serial, c.serial);
  EXPECT_EQ(a.mac.size(), 17u);
  EXPECT_EQ(std::stoi(a.mac.substr(0, 2), nullptr, 16) & 3, 0) << "unicast, universal";
  EXPECT_LT(a.boot_time_s, -3 * 86400);
}

TEST(Persona, ErrorsNameFileLineAndKey) {
  mitsu::testing::TempDir dir("persona");
  auto file = dir.path() / "bad.toml";
  std::ofstream(file)
      << "device_type = \"camera\"\nvendor = \"V\"\nmodel = \"M\"\narch = \"z80\"\n";
  auto p = load_persona(file);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().find("bad.toml:4:8: arch: unknown CPU"), std::string::npos) << p.error();

  std::ofstream(file) << "device_type = \"camera\"\n[telnet]\nprot = 23\n";
  p = load_persona(file);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().find("bad.toml:3:8: telnet.prot: unknown key"), std::string::npos)
      << p.error();

  std::ofstream(file) << "device_type = \"camera\"\n";
  p = load_persona(file);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().find("missing required key vendor"), std::string::npos) << p.error();
}

TEST(Persona, CredentialPolicy) {
  CredentialPolicy policy{{{"root", "xc3511"}, {"admin", "*"}}, 0};
  EXPECT_TRUE(credentials_accepted(policy, "root", "xc3511", 0));
  EXPECT_FALSE(credentials_accepted(policy, "root", "root", 50));
  EXPECT_TRUE(credentials_accepted(policy, "admin", "anything", 0));
  policy.accept_after_failures = 3;
  EXPECT_FALSE(credentials_accepted(policy, "x", "y", 2));
  EXPECT_TRUE(credentials_accepted(policy, "x", "y", 3));
}

}  // namespace
}  // namespace mitsu::sensor
