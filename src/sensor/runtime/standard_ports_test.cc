// Real clients that only speak to standard ports: upnpc finds the router persona by SSDP
// multicast on 239.255.255.250:1900, and nmap's upnp-info (UDP 1900) and tftp-enum (UDP 69)
// scripts run only there. CMake runs this binary inside a network namespace of its own
// (`unshare -n`, loopback only), so the sensor binds those ports without touching the host's.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "sensor/runtime/memory_sink.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu::sensor {
namespace {

using mitsu::testing::run_process;

class StandardPorts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto personas = load_personas(MITSU_DEFAULT_PERSONAS_DIR);
    ASSERT_TRUE(personas) << personas.error();
    for (const DevicePersona& p : *personas) {
      if (p.name == "home-router" || p.name == "nas") {
        options_->personas.push_back(p);
        randomise(options_->personas.back(), "standard-ports");
      }
    }
    ASSERT_EQ(options_->personas.size(), 2u);
    std::size_t nas = options_->personas[0].name == "nas" ? 0 : 1;
    std::size_t router = 1 - nas;
    options_->listeners = {{"http", "127.0.0.1", 8084, router},
                           {"telnet", "127.0.0.1", 23, router},
                           {"ssdp", "127.0.0.1", 1900, router, false, {}, true},
                           {"tftp", "127.0.0.1", 69, router},
                           {"http", "127.0.0.1", 8083, nas},
                           {"ftp", "127.0.0.1", 21, nas}};
    options_->threads = 2;
    server_ = new SensorServer(*options_, *sink_, **store_, nullptr);
    Status started = server_->start();
    ASSERT_TRUE(started) << started.error()
                         << " (this test runs in its own network namespace: see CMakeLists.txt)";
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    store_->reset();
    delete dir_;  // the suite leaves nothing behind in /tmp
    dir_ = nullptr;
  }

  static inline mitsu::testing::TempDir* dir_ = new mitsu::testing::TempDir("standard-ports");
  static inline std::unique_ptr<artifacts::ArtifactStore>* store_ =
      new std::unique_ptr<artifacts::ArtifactStore>(
          std::move(*artifacts::ArtifactStore::open({dir_->path() / "artifacts"})));
  static inline SensorOptions* options_ = new SensorOptions;
  static inline MemorySink* sink_ = new MemorySink;
  static inline SensorServer* server_ = nullptr;
};

std::vector<std::string> actions(const MemorySink& sink) {
  std::vector<std::string> out;
  for (const auto& e : sink.of("upnp.action")) {
    out.push_back(e["mitsu"]["upnp"]["action"]);
  }
  return out;
}

TEST_F(StandardPorts, UpnpcDiscoversAddsAndListsAPortMapping) {
  auto list = run_process({"timeout", "60", "upnpc", "-i", "-m", "127.0.0.1", "-l"});
  EXPECT_NE(list.out.find("desc: http://127.0.0.1:8084/rootDesc.xml"), std::string::npos)
      << list.out << list.err;
  // -i: miniupnpc calls a gateway whose WAN address is reserved (here loopback) "not connected".
  EXPECT_NE(list.out.find("ExternalIPAddress = 127.0.0.1"), std::string::npos) << list.out;

  auto add = run_process({"timeout", "60", "upnpc", "-i", "-m", "127.0.0.1", "-e", "mitsu-test",
                          "-a", "192.168.1.20", "22", "4444", "TCP"});
  EXPECT_NE(add.out.find("external 127.0.0.1:4444 TCP is redirected to internal "
                         "192.168.1.20:22"),
            std::string::npos)
      << add.out << add.err;
  auto again = run_process({"timeout", "60", "upnpc", "-i", "-m", "127.0.0.1", "-l"});
  EXPECT_NE(again.out.find("TCP  4444->192.168.1.20:22    'mitsu-test'"), std::string::npos)
      << again.out;

  // Each step is an event: discovery, description, the SOAP actions.
  ASSERT_TRUE(sink_->wait_for("ssdp.request", 1));
  auto searches = sink_->of("ssdp.request");
  EXPECT_EQ(searches[0]["http"]["request"]["method"], "M-SEARCH");
  EXPECT_EQ(searches[0]["destination"]["ip"], "239.255.255.250");
  std::size_t descriptions = 0;
  for (const auto& e : sink_->of("http.request")) {
    descriptions += e["url"]["path"] == "/rootDesc.xml" ? 1 : 0;
  }
  EXPECT_GE(descriptions, 3u);
  auto seen = actions(*sink_);
  for (std::string_view a :
       {"GetExternalIPAddress", "AddPortMapping", "GetGenericPortMappingEntry", "GetStatusInfo"}) {
    EXPECT_NE(std::find(seen.begin(), seen.end(), a), seen.end()) << a;
  }
  for (const auto& e : sink_->of("upnp.action")) {
    if (e["mitsu"]["upnp"]["action"] == "AddPortMapping") {
      EXPECT_EQ(e["mitsu"]["upnp"]["arguments"]["NewInternalClient"], "192.168.1.20");
      EXPECT_EQ(e["mitsu"]["upnp"]["arguments"]["NewExternalPort"], "4444");
    }
  }
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), ::tolower);
  return text;
}

TEST_F(StandardPorts, NmapScriptsSucceedAndSeeNoHoneypot) {
  // upnp-info.override=false: with the default, nmap 7.93 never fetches the description (its
  // LOCATION pattern wants a \r the header parser has already stripped).
  auto scan = run_process({"timeout", "300", "nmap", "-v", "-sS", "-sU", "-sV", "--version-light",
                           "-Pn", "-n", "-p", "T:21,23,8083,8084,U:1900", "--script",
                           "http-title,upnp-info,ftp-anon,banner", "--script-args",
                           "upnp-info.override=false", "127.0.0.1"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  const std::string& out = scan.out;
  EXPECT_NE(out.find("http-title: StashBox SB-220"), std::string::npos) << out;
  EXPECT_NE(out.find("http-title: 401 Unauthorized"), std::string::npos) << out;
  EXPECT_NE(out.find("Anonymous FTP login allowed"), std::string::npos) << out;
  EXPECT_NE(out.find("banner: 220 (vsFTPd 3.0.2)"), std::string::npos) << out;
  EXPECT_NE(out.find("Location: http://127.0.0.1:8084/rootDesc.xml"), std::string::npos) << out;
  EXPECT_NE(out.find("Manufacturer: Netlinq"), std::string::npos) << out;
  EXPECT_NE(out.find("Server: Linux/2.6.36 UPnP/1.0 miniupnpd/1.9"), std::string::npos) << out;
  EXPECT_EQ(lower(out).find("honeypot"), std::string::npos) << out;
}

// tftp-enum sends each request, closes its socket and only then binds a listener on the same
// port: an answer that comes first is lost. Alone, nmap binds well within the sensor's
// first-reply delay; next to other scripts it may not, so it runs by itself.
TEST_F(StandardPorts, NmapTftpEnumFindsTheProvisioningFile) {
  // A few names from nmap's own list, so the scan takes seconds rather than a minute.
  auto names = dir_->path() / "tftp-names.txt";
  std::ofstream(names) << "boot.cfg\nconfig.bin\nnetwork-confg\nSEPDefault.cnf\n";
  // nmap finds script data files in its data directories; NMAPDIR adds ours in front.
  auto scan =
      run_process({"sh", "-c",
                   fmt::format("NMAPDIR='{}' timeout 300 nmap -sU -Pn -n -p 69 --script tftp-enum "
                               "--script-args tftp-enum.filelist=tftp-names.txt 127.0.0.1",
                               dir_->path().string())});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  EXPECT_NE(scan.out.find("tftp-enum: \n|_  config.bin"), std::string::npos) << scan.out;
  EXPECT_EQ(lower(scan.out).find("honeypot"), std::string::npos) << scan.out;
}

// nmap -sV against every TCP port of every shipped persona, on the ports the all-in-one default
// uses: each names a product (the persona's claim), none a honeypot.
TEST(EveryPersona, NmapServiceDetectionNamesAProductOnEveryPort) {
  mitsu::testing::TempDir dir("every-persona");
  auto store = std::move(*artifacts::ArtifactStore::open({dir.path() / "artifacts"}));
  auto personas = load_personas(MITSU_DEFAULT_PERSONAS_DIR);
  ASSERT_TRUE(personas) << personas.error();
  SensorOptions options;
  options.personas = *personas;
  std::vector<std::string> tcp_ports;
  std::map<std::string, std::string> service_of;  // port → what the persona serves there
  for (std::size_t i = 0; i < options.personas.size(); ++i) {
    randomise(options.personas[i], "every-persona");
    for (const PersonaService& s : options.personas[i].services) {
      options.listeners.push_back(
          {s.protocol, "127.0.0.1", s.port, i, false, {}, s.protocol == "ssdp"});
      if (s.protocol != "tftp" && s.protocol != "ssdp") {
        tcp_ports.push_back(std::to_string(s.port));
        service_of[std::to_string(s.port)] = s.protocol;
      }
    }
  }
  options.threads = 2;
  options.ssh_host_keys_dir = dir.path() / "ssh";
  MemorySink sink;
  SensorServer server(options, sink, *store, nullptr);
  Status started = server.start();
  ASSERT_TRUE(started) << started.error();
  std::string ports;
  for (const std::string& p : tcp_ports) {
    ports += (ports.empty() ? "" : ",") + p;
  }
  auto scan = run_process(
      {"timeout", "300", "nmap", "-sV", "--version-light", "-Pn", "-n", "-p", ports, "127.0.0.1"});
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  std::size_t open = 0;
  std::istringstream lines(scan.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("/tcp") == std::string::npos) {
      continue;
    }
    ++open;
    EXPECT_NE(line.find(" open "), std::string::npos) << line;
    // "PORT STATE SERVICE VERSION": the service the persona runs, recognised (no "?"), with
    // the product it claims. A Telnet banner nmap has no fingerprint for shows no product, as
    // many real devices' do.
    std::istringstream fields(line);
    std::string port, state, service, product;
    fields >> port >> state >> service >> product;
    std::string number = port.substr(0, port.find('/'));
    EXPECT_EQ(service, service_of[number]) << line;
    if (service != "telnet") {
      EXPECT_FALSE(product.empty()) << "no product named: " << line;
    }
  }
  EXPECT_EQ(open, tcp_ports.size()) << scan.out;
  EXPECT_EQ(lower(scan.out).find("honeypot"), std::string::npos) << scan.out;
  std::printf("%s", scan.out.c_str());
  server.stop();
}

}  // namespace
}  // namespace mitsu::sensor
