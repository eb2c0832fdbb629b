#include "sensor/registry/protocol_registry.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/event_parser.h"

namespace mitsu::sensor {
namespace {

// The kinds docs/events.md's "Kinds" table lists: the backticked names in each row's first cell.
std::set<std::string> documented_kinds() {
  std::ifstream in(std::string(MITSU_SOURCE_DIR) + "/docs/events.md");
  std::set<std::string> kinds;
  std::string line;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) {
      in_table = line == "## Kinds";
      continue;
    }
    if (!in_table || !line.starts_with("| `") || line.starts_with("| `event.action`")) {
      continue;  // not a row, or the header
    }
    std::string cell = line.substr(1, line.find('|', 1) - 1);
    for (std::size_t open = cell.find('`'); open != std::string::npos;
         open = cell.find('`', cell.find('`', open + 1) + 1)) {
      std::size_t close = cell.find('`', open + 1);
      kinds.insert(cell.substr(open + 1, close - open - 1));
    }
  }
  return kinds;
}

TEST(ProtocolRegistry, BuiltinsAreRegisteredOnce) {
  register_builtin_protocols();
  register_builtin_protocols();  // idempotent
  std::vector<std::string> names;
  for (const ProtocolInfo* p : ProtocolRegistry::instance().all()) {
    names.push_back(p->name);
    EXPECT_FALSE(p->default_ports.empty()) << p->name;
    EXPECT_TRUE(p->mode != ServeMode::kStream || p->make_session) << p->name;
    EXPECT_TRUE(p->mode != ServeMode::kRelayOnly || p->make_observer) << p->name;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"ftp", "http", "smb", "ssdp", "ssh", "telnet", "tftp"}));
  EXPECT_EQ(ProtocolRegistry::instance().find("ssdp")->transport, "udp");
  EXPECT_EQ(ProtocolRegistry::instance().find_by_section("upnp")->name, "ssdp");
  EXPECT_NE(find_event_kind("smb.create"), nullptr);
}

// The runtime serves each mode only through what the entry supplies (it includes no protocol):
// every built-in supplies its mode's factory once the serving halves are attached.
TEST(ProtocolRegistry, EveryBuiltinSuppliesItsModesInterface) {
  register_builtin_servers();
  for (const ProtocolInfo* p : ProtocolRegistry::instance().all()) {
    switch (p->mode) {
      case ServeMode::kStream:
        EXPECT_TRUE(p->make_session) << p->name;
        break;
      case ServeMode::kOwnedStream:
        EXPECT_TRUE(p->make_endpoint) << p->name;
        break;
      case ServeMode::kTransfer:
        EXPECT_TRUE(p->opens_transfer && p->make_transfer) << p->name;
        break;
      case ServeMode::kResponder:
        EXPECT_TRUE(p->make_responder) << p->name;
        break;
      case ServeMode::kRelayOnly:
        EXPECT_TRUE(p->make_observer) << p->name;
        break;
    }
    EXPECT_EQ(p->multicast_by_default, !p->multicast_group.empty()) << p->name;
  }
  EXPECT_FALSE(ProtocolRegistry::instance().set_endpoint_factory("telnet", nullptr))
      << "telnet's stream is the runtime's";
  EXPECT_FALSE(ProtocolRegistry::instance().set_endpoint_factory("nonesuch", nullptr));
}

TEST(ProtocolRegistry, RefusesDuplicates) {
  register_builtin_protocols();
  ProtocolInfo again;
  again.name = "telnet";
  again.mode = ServeMode::kRelayOnly;
  EXPECT_FALSE(ProtocolRegistry::instance().add(again));
  ProtocolInfo section_taken;
  section_taken.name = "telnet2";
  section_taken.mode = ServeMode::kRelayOnly;
  section_taken.persona_section = "telnet";
  EXPECT_FALSE(ProtocolRegistry::instance().add(section_taken));
  ProtocolInfo no_session;
  no_session.name = "nosession";
  EXPECT_FALSE(ProtocolRegistry::instance().add(no_session));
}

// docs/events.md is what producers and consumers read: it must list exactly the kinds the
// parser accepts (core's and every registered protocol's).
TEST(ProtocolRegistry, EventsDocumentListsEveryKind) {
  register_builtin_protocols();
  std::set<std::string> registered;
  for (const EventKind& kind : event_kinds()) {
    registered.emplace(kind.action);
  }
  std::set<std::string> documented = documented_kinds();
  ASSERT_FALSE(documented.empty());
  for (const std::string& kind : registered) {
    EXPECT_TRUE(documented.contains(kind)) << kind << " is not in docs/events.md's Kinds table";
  }
  for (const std::string& kind : documented) {
    EXPECT_TRUE(registered.contains(kind)) << kind << " is documented but not registered";
  }
}

// The examples a reader copies validate in a binary that registered the protocols.
TEST(ProtocolRegistry, DocumentedExamplesAreValid) {
  register_builtin_protocols();
  std::ifstream in(std::string(MITSU_SOURCE_DIR) + "/docs/examples/events.jsonl");
  ASSERT_TRUE(in);
  EventParser parser;
  Event event;
  Rejection why;
  std::set<std::string> kinds;
  std::string line;
  while (std::getline(in, line)) {
    EXPECT_TRUE(parser.parse(line, event, why)) << line << "\n" << why.to_string();
    kinds.insert(event.action);
  }
  EXPECT_GE(kinds.size(), 7u);
}

}  // namespace
}  // namespace mitsu::sensor
