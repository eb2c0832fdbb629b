// A protocol added from outside the tree: the test registers a toy protocol and gets a persona
// section, configuration, a listener and validated events, with no runtime, config or core file
// knowing it exists.

#include <gtest/gtest.h>

#include <array>
#include <fstream>

#include "app/config.h"
#include "app/sensor_setup.h"
#include "artifacts/artifact_store.h"
#include "core/event_parser.h"
#include "sensor/persona/persona.h"
#include "sensor/registry/protocol_registry.h"
#include "sensor/runtime/memory_sink.h"
#include "sensor/session/session.h"
#include "testing/loopback_client.h"
#include "testing/temp_dir.h"

namespace mitsu::app {
namespace {

using sensor::SessionActions;

struct ToySettings {
  std::string greeting = "toy";
};

constexpr std::array kToyHello{
    FieldRule{"/mitsu/toy/name", FieldType::kNonEmptyString, Presence::kRequired},
};

// Greets with the persona's greeting; each line the client sends is a toy.hello event.
class ToySession : public sensor::Session {
 public:
  explicit ToySession(std::string greeting) : greeting_(std::move(greeting)) {}
  SessionActions open() override {
    SessionActions out;
    out.send = "hello from " + greeting_ + "\n";
    return out;
  }
  SessionActions receive(std::span<const std::byte> bytes) override {
    SessionActions out;
    line_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    for (std::size_t end = line_.find('\n'); end != std::string::npos; end = line_.find('\n')) {
      out.events.push_back({"toy.hello", {{"mitsu.toy.name", line_.substr(0, end)}}});
      out.send += "bye\n";
      line_.erase(0, end + 1);
    }
    return out;
  }
  SessionActions finish() override { return {}; }
  void downloaded(const sensor::DownloadRequest&, std::string_view) override {}

 private:
  std::string greeting_;
  std::string line_;
};

void register_toy() {
  static bool done = [] {
    sensor::register_builtin_protocols();
    sensor::ProtocolInfo info;
    info.name = "toy";
    info.transport = "tcp";
    info.default_ports = {7777};
    info.persona_section = "toy";
    info.persona_keys = {"greeting"};
    info.read_persona_key = [](const TomlReader& r, const toml::node& node, std::string_view,
                               const std::string& key, sensor::DevicePersona& p) {
      return r.string(node, key, p.settings<ToySettings>("toy").greeting);
    };
    info.event_kinds = {{"toy.hello", EventScope::kSession, kToyHello}};
    info.make_session = [](const sensor::SessionContext& c) -> std::unique_ptr<sensor::Session> {
      const ToySettings* settings = c.persona.find_settings<ToySettings>("toy");
      return std::make_unique<ToySession>(settings != nullptr ? settings->greeting : "toy");
    };
    Status added = sensor::ProtocolRegistry::instance().add(std::move(info));
    EXPECT_TRUE(added) << added.error();
    return true;
  }();
  (void)done;
}

void write(const std::filesystem::path& file, std::string_view text) {
  std::ofstream(file) << text;
}

constexpr std::string_view kPersona = R"(device_type = "toaster"
vendor = "Acme"
model = "T-1"
arch = "arm"
hostname = "toaster"

[toy]
port = 7777
greeting = "the toaster"
)";

TEST(ProtocolPlugin, ToyProtocolGetsPersonaConfigListenerAndEvents) {
  register_toy();
  mitsu::testing::TempDir dir("toy-protocol");
  std::filesystem::create_directories(dir.path() / "personas");
  write(dir.path() / "personas" / "toaster.toml", kPersona);

  // Persona section: read by the toy's own reader.
  auto persona = sensor::load_persona(dir.path() / "personas" / "toaster.toml");
  ASSERT_TRUE(persona) << persona.error();
  ASSERT_NE(persona->find_settings<ToySettings>("toy"), nullptr);
  EXPECT_EQ(persona->find_settings<ToySettings>("toy")->greeting, "the toaster");
  ASSERT_EQ(persona->services.size(), 1u);
  EXPECT_EQ(persona->services[0].protocol, "toy");
  EXPECT_EQ(persona->services[0].port, 7777);
  write(dir.path() / "bad.toml", std::string(kPersona) + "colour = \"red\"\n");
  auto bad = sensor::load_persona(dir.path() / "bad.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("toy.colour: unknown key (known: port, greeting)"), std::string::npos)
      << bad.error();

  // Configuration: a listener may name the toy protocol; unknown protocols still fail.
  std::string text =
      fmt::format(R"(data_dir = "{}"
[sensor]
personas_dir = "{}"
[[sensor.listeners]]
persona = "toaster"
protocol = "toy"
port = 0
)",
                  (dir.path() / "data").string(), (dir.path() / "personas").string());
  auto config = parse_config(text, "toy.toml");
  ASSERT_TRUE(config) << config.error();
  config->resolve_paths();
  auto unknown = parse_config(R"([[sensor.listeners]]
persona = "toaster"
protocol = "gopher"
)",
                              "bad.toml");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("toy"), std::string::npos) << unknown.error();

  // Listener: served by the runtime's stream driver through the toy's session factory.
  auto options = sensor_options(*config);
  ASSERT_TRUE(options) << options.error();
  ASSERT_EQ(options->listeners.size(), 1u);
  auto store = artifacts::ArtifactStore::open({dir.path() / "artifacts"});
  ASSERT_TRUE(store) << store.error();
  sensor::MemorySink sink;
  sensor::SensorServer server(std::move(*options), sink, **store, nullptr);
  Status started = server.start();
  ASSERT_TRUE(started) << started.error();
  {
    mitsu::testing::LoopbackClient client(server.bound().at(0).port);
    EXPECT_NE(client.read_until("\n").find("hello from the toaster"), std::string::npos);
    client.send("alice\n");
    EXPECT_NE(client.read_until("bye").find("bye"), std::string::npos);
  }
  ASSERT_TRUE(sink.wait_for("session.close", 1));
  server.stop();

  // Events: the toy's kind is validated like any other, its required field checked.
  EventParser parser;
  Event event;
  Rejection why;
  auto hello = sink.of("toy.hello");
  ASSERT_EQ(hello.size(), 1u);
  EXPECT_EQ(hello[0]["network"]["protocol"], "toy");
  EXPECT_EQ(hello[0]["mitsu"]["toy"]["name"], "alice");
  for (const nlohmann::json& e : sink.events()) {
    EXPECT_TRUE(parser.parse(e.dump(), event, why)) << e.dump() << ": " << why.to_string();
  }
  nlohmann::json nameless = hello[0];
  nameless["mitsu"].erase("toy");
  EXPECT_FALSE(parser.parse(nameless.dump(), event, why));
  EXPECT_EQ(why.code, RejectCode::kMissingField) << why.to_string();
}

}  // namespace
}  // namespace mitsu::app
