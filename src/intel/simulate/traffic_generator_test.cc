// Simulated traffic must name protocols as live sensors do: the same names, transports and ports
// as the protocol registry, and only event kinds the parser accepts.

#include "intel/simulate/traffic_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/event_parser.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::intel {
namespace {

TEST(TrafficGenerator, NamesProtocolsAsTheSensorRegistryDoes) {
  GeoResolver geo;  // no data: random addresses
  SimulationOptions options;
  options.days = 30;
  options.sessions_per_day = 200;
  options.peaks = {{options.first_day + 3, "ssdp", 1.0}};
  TrafficGenerator generator(options, geo);
  EventParser parser;
  Event event;
  Rejection why;
  std::set<std::string> emitted;
  std::size_t events = 0;
  generator.run([&](std::string&& text) {
    ++events;
    ASSERT_TRUE(parser.parse(text, event, why)) << text << ": " << why.to_string();
    nlohmann::json e = nlohmann::json::parse(text);
    if (!e.contains("network")) {
      return;
    }
    std::string protocol = e["network"]["protocol"];
    const sensor::ProtocolInfo* info = sensor::ProtocolRegistry::instance().find(protocol);
    ASSERT_NE(info, nullptr) << "the simulator emits protocol '" << protocol
                             << "', which no sensor registers";
    EXPECT_EQ(e["network"]["transport"], info->transport) << protocol;
    int port = e["destination"]["port"];
    EXPECT_NE(std::find(info->default_ports.begin(), info->default_ports.end(), port),
              info->default_ports.end())
        << protocol << " on port " << port;
    emitted.insert(protocol);
  });
  EXPECT_GT(events, 1000u);
  std::set<std::string> registered;
  for (const sensor::ProtocolInfo* info : sensor::ProtocolRegistry::instance().all()) {
    registered.insert(info->name);
  }
  EXPECT_EQ(emitted, registered);
}

}  // namespace
}  // namespace mitsu::intel
