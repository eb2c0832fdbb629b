#include "core/event_parser.h"

#include <gtest/gtest.h>

#include <array>

#include "core/event_builder.h"
#include "core/event_kinds.h"

namespace mitsu {
namespace {

using nlohmann::json;

class EventParserTest : public ::testing::Test {
 protected:
  json session_event(std::string_view action) {
    SessionInfo session;
    session.session_id = ids_.next().to_string();
    session.protocol = "telnet";
    session.src_ip = "203.0.113.9";
    session.src_port = 40123;
    session.dst_port = 23;
    session.persona = {"camera", "Acme", "IPC-2000"};
    return builder_.session_event(session, action, 1'793'491'200'000'001);
  }

  // A valid event of each kind, with its kind-specific fields.
  json valid(std::string_view action) {
    json e = session_event(action);
    if (action == "login.attempt") {
      set_field(e, "user.name", "root");
      set_field(e, "mitsu.login.password", "xc3511");
      set_field(e, "event.outcome", "success");
    } else if (action == "command") {
      set_field(e, "process.command_line", "/bin/busybox MIRAI");
    } else if (action == "exploit") {
      set_field(e, "rule.id", "huawei-hg532-rce");
      set_field(e, "vulnerability.id", json::array({"CVE-2017-17215"}));
    } else if (action == "file.download") {
      set_field(e, "url.full", "http://192.0.2.7/x.sh");
      set_field(e, "event.outcome", "success");
      set_field(e, "file.hash.sha256", std::string(64, 'a'));
    } else if (action == "file.upload") {
      set_field(e, "file.hash.sha256", std::string(64, 'b'));
      set_field(e, "file.size", 1234);
    } else if (action == "zero_day_candidate") {
      set_field(e, "mitsu.zero_day.reason", "device_files_changed");
    } else if (action == "anomaly") {
      set_field(e, "mitsu.anomaly.protocol", "smb");
      set_field(e, "mitsu.anomaly.reason", "not SMB");
    }
    return e;
  }

  bool parse(const json& e) { return parse_text(to_event_text(e)); }
  bool parse_text(std::string_view text) { return parser_.parse(text, event_, why_); }

  Uuid7Generator ids_;
  EventBuilder builder_{{"sensor-1", "tokyo-1"}, ids_};
  EventParser parser_;
  Event event_;
  Rejection why_;
};

TEST_F(EventParserTest, AcceptsEveryKindAndExtractsColumns) {
  for (const EventKind& kind : event_kinds()) {
    json e = kind.scope == EventScope::kSession
                 ? valid(kind.action)
                 : builder_.sensor_event(kind.action, 1'793'491'200'000'001);
    if (kind.action.starts_with("device.")) {
      set_field(e, "mitsu.device.backend", "192.0.2.10:445");
      set_field(e, "file.path", "drop.sh");
    }
    ASSERT_TRUE(parse(e)) << kind.action << ": " << why_.to_string();
    EXPECT_EQ(event_.action, kind.action);
    EXPECT_EQ(event_.id, e["event"]["id"]);
    EXPECT_EQ(event_.ts_us, 1'793'491'200'000'001);
    EXPECT_EQ(event_.sensor, "sensor-1");
    EXPECT_EQ(event_.site, "tokyo-1");
    EXPECT_EQ(event_.body, to_event_text(e));
  }
  ASSERT_TRUE(parse(valid("login.attempt")));
  EXPECT_EQ(event_.src_ip, "203.0.113.9");
  EXPECT_EQ(event_.src_port, 40123);
  EXPECT_EQ(event_.dst_port, 23);
  EXPECT_EQ(event_.protocol, "telnet");
  EXPECT_EQ(event_.device_type, "camera");
  EXPECT_EQ(event_.outcome, "success");
}

TEST_F(EventParserTest, EveryRequiredFieldIsRequired) {
  for (const EventKind& kind : event_kinds()) {
    if (kind.scope != EventScope::kSession) {
      continue;
    }
    std::vector<FieldRule> rules(common_event_fields().begin(), common_event_fields().end());
    rules.insert(rules.end(), session_event_fields().begin(), session_event_fields().end());
    rules.insert(rules.end(), kind.fields.begin(), kind.fields.end());
    for (const FieldRule& rule : rules) {
      if (rule.presence == Presence::kOptional) {
        continue;
      }
      json e = valid(kind.action);
      e[json::json_pointer(std::string(rule.pointer))] = nullptr;  // null counts as missing
      ASSERT_FALSE(parse(e)) << kind.action << " without " << rule.ecs_name();
      EXPECT_EQ(why_.code, RejectCode::kMissingField) << why_.to_string();
      EXPECT_NE(why_.detail.find(rule.ecs_name()), std::string::npos) << why_.detail;
    }
  }
}

TEST_F(EventParserTest, RejectsWrongTypesWithFieldName) {
  struct Case {
    const char* pointer;
    json value;
  };
  for (const Case& c :
       {Case{"/source/port", 70000}, Case{"/source/port", "23"}, Case{"/source/ip", "999.1.1.1"},
        Case{"/source/ip", "evil.example"}, Case{"/destination/port", -1}, Case{"/event/id", 42},
        Case{"/observer/name", "bad name"}, Case{"/network/protocol", "TELNET"},
        Case{"/network/transport", "sctp"}, Case{"/mitsu/session/id", "nope"},
        Case{"/user/name", 7}, Case{"/event/outcome", "maybe"}}) {
    json e = valid("login.attempt");
    e[json::json_pointer(c.pointer)] = c.value;
    ASSERT_FALSE(parse(e)) << c.pointer << " = " << c.value.dump();
    EXPECT_EQ(why_.code, RejectCode::kInvalidField) << why_.to_string();
  }
}

TEST_F(EventParserTest, RejectsStructuralProblems) {
  EXPECT_FALSE(parse_text("{\"event\":"));
  EXPECT_EQ(why_.code, RejectCode::kMalformedJson);
  EXPECT_FALSE(parse_text("[1,2,3]"));
  EXPECT_EQ(why_.code, RejectCode::kNotAnObject);
  EXPECT_FALSE(parse_text(""));
  EXPECT_FALSE(parse_text(std::string(kMaxEventBytes + 1, ' ')));
  EXPECT_EQ(why_.code, RejectCode::kTooLarge);
  EXPECT_FALSE(parse_text("{\"a\":\"\xff\xfe\"}"));  // not UTF-8
  EXPECT_EQ(why_.code, RejectCode::kMalformedJson);
}

TEST_F(EventParserTest, RejectsOtherSchemaVersionsAndUnknownKinds) {
  json e = valid("command");
  e["mitsu"]["schema"] = 2;
  ASSERT_FALSE(parse(e));
  EXPECT_EQ(why_.code, RejectCode::kUnsupportedSchema);
  e = valid("command");
  e["event"]["action"] = "command.typo";
  ASSERT_FALSE(parse(e));
  EXPECT_EQ(why_.code, RejectCode::kUnknownKind);
  EXPECT_NE(why_.detail.find("command.typo"), std::string::npos);
}

TEST_F(EventParserTest, RequiresUuidVersion7AndUtcTimestamp) {
  json e = valid("command");
  e["event"]["id"] = "123e4567-e89b-42d3-a456-426614174000";  // version 4
  ASSERT_FALSE(parse(e));
  EXPECT_NE(why_.detail.find("version 7"), std::string::npos);
  e = valid("command");
  e["@timestamp"] = "2026-11-01T09:00:00+09:00";
  ASSERT_FALSE(parse(e));
  EXPECT_NE(why_.detail.find("@timestamp"), std::string::npos);
}

TEST_F(EventParserTest, DownloadNeedsHashOnlyWhenItSucceeded) {
  json e = valid("file.download");
  e["file"].erase("hash");
  ASSERT_FALSE(parse(e));
  EXPECT_EQ(why_.code, RejectCode::kMissingField);
  e["event"]["outcome"] = "failure";
  EXPECT_TRUE(parse(e)) << why_.to_string();
}

TEST_F(EventParserTest, NormalisesMappedIpv6ToIpv4) {
  json e = valid("session.open");
  e["source"]["ip"] = "::ffff:198.51.100.7";
  ASSERT_TRUE(parse(e));
  EXPECT_EQ(event_.src_ip, "198.51.100.7");
  e["source"]["ip"] = "2001:DB8:0:0::1";
  ASSERT_TRUE(parse(e));
  EXPECT_EQ(event_.src_ip, "2001:db8::1");
}

TEST_F(EventParserTest, KeepsUnknownExtraFields) {
  json e = valid("command");
  e["labels"] = {{"campaign", "x"}};
  ASSERT_TRUE(parse(e));
  EXPECT_NE(event_.body.find("campaign"), std::string::npos);
}

constexpr std::array kProbeFields{
    FieldRule{"/mitsu/probe/name", FieldType::kToken, Presence::kRequired},
};

// Kinds beyond core's come from registration (the sensor's protocols): validated the same way.
TEST_F(EventParserTest, ValidatesRegisteredKinds) {
  json e = session_event("probe.seen");
  set_field(e, "mitsu.probe.name", "x1");
  EXPECT_FALSE(parse(e));
  EXPECT_EQ(why_.code, RejectCode::kUnknownKind);
  ASSERT_TRUE(register_event_kind({"probe.seen", EventScope::kSession, kProbeFields}));
  EXPECT_FALSE(register_event_kind({"probe.seen", EventScope::kSession, kProbeFields}));
  EXPECT_FALSE(register_event_kind({"login.attempt", EventScope::kSession, kProbeFields}));
  ASSERT_TRUE(parse(e)) << why_.to_string();
  set_field(e, "mitsu.probe.name", "Not A Token");
  EXPECT_FALSE(parse(e));
  EXPECT_EQ(why_.code, RejectCode::kInvalidField);
}

}  // namespace
}  // namespace mitsu
