#include "sensor/protocols/ftp/ftp_session.h"

#include <gtest/gtest.h>

#include "sensor/persona/test_persona.h"
#include "sensor/shell/emulated_shell.h"

namespace mitsu::sensor::ftp {
namespace {

DevicePersona nas() {
  DevicePersona p = test_persona("nas", "aarch64", "NAS");
  p.ftp_banner = "220 (vsFTPd 3.0.2)";
  p.ftp_anonymous = true;
  p.directories = {"/mnt/HD"};
  p.files = {{"/mnt/HD/readme.txt", "hello\n", 0644}};
  return p;
}

// Plays a client against the session: data connections are simulated by answering the
// session's requests at once (passive port 40000, uploads carry `upload`).
struct FtpRun {
  std::string sent;
  std::vector<std::string> events;
  std::vector<CapturedFile> captures;
  std::vector<std::string> data_to_client;
  bool closed = false;
};

FtpRun play(const std::string& input, std::size_t chunk, const std::string& upload = "") {
  DevicePersona persona = nas();
  TestLoginGate gate;
  FtpSession session(persona, persona_filesystem(persona), gate, "127.0.0.1");
  FtpRun run;
  auto add = [&](SessionActions a) {
    run.sent += a.send;
    for (const auto& e : a.events) {
      run.events.push_back(e.action + " " + e.fields.dump());
    }
    for (auto& c : a.captures) {
      run.captures.push_back(c);
    }
    run.closed = run.closed || a.close;
  };
  auto follow = [&] {
    for (;;) {
      if (session.passive_requested()) {
        add(session.passive_opened("127.0.0.1", 40000));
        continue;
      }
      if (auto t = session.take_transfer()) {
        if (!t->upload) {
          run.data_to_client.push_back(t->content);
        }
        add(session.transfer_done(t->upload ? upload : "", true));
        continue;
      }
      break;
    }
  };
  add(session.open());
  for (std::size_t at = 0; at < input.size() && !run.closed; at += chunk) {
    std::string_view part = std::string_view(input).substr(at, chunk);
    add(session.receive(std::as_bytes(std::span(part.data(), part.size()))));
    follow();
  }
  add(session.finish());
  return run;
}

const std::string kUploadSession =
    "USER root\r\nPASS wrong\r\nUSER root\r\nPASS xc3511\r\nSYST\r\nTYPE I\r\nPWD\r\n"
    "CWD /mnt/HD\r\nPASV\r\nLIST -la\r\nEPSV\r\nSTOR bot.arm7\r\nPASV\r\nRETR readme.txt\r\n"
    "PORT 192,0,2,1,10,10\r\nQUIT\r\n";

TEST(FtpSession, LoginListUploadDownloadAndBounceRefusal) {
  FtpRun run = play(kUploadSession, 1 << 20,
                    "\x7f"
                    "ELF payload");
  EXPECT_TRUE(run.sent.starts_with("220 (vsFTPd 3.0.2)\r\n"));
  EXPECT_NE(run.sent.find("530 Login incorrect."), std::string::npos);
  EXPECT_NE(run.sent.find("230 Login successful."), std::string::npos);
  EXPECT_NE(run.sent.find("227 Entering Passive Mode (127,0,0,1,156,64)."), std::string::npos);
  EXPECT_NE(run.sent.find("229 Entering Extended Passive Mode (|||40000|)"), std::string::npos);
  EXPECT_NE(run.sent.find("500 Illegal PORT command."), std::string::npos);
  EXPECT_TRUE(run.sent.ends_with("221 Goodbye.\r\n"));
  ASSERT_EQ(run.data_to_client.size(), 2u);
  EXPECT_NE(run.data_to_client[0].find(" readme.txt\r\n"), std::string::npos);
  EXPECT_EQ(run.data_to_client[1], "hello\n");
  ASSERT_EQ(run.captures.size(), 1u);
  EXPECT_EQ(run.captures[0].path, "/mnt/HD/bot.arm7");
  EXPECT_EQ(run.captures[0].content,
            "\x7f"
            "ELF payload");
  int logins = 0, commands = 0;
  for (const std::string& e : run.events) {
    logins += e.starts_with("login.attempt");
    commands += e.starts_with("ftp.command");
    EXPECT_EQ(e.find("\"PASS\""), std::string::npos) << "passwords only in login.attempt";
  }
  EXPECT_EQ(logins, 2);
  EXPECT_EQ(commands, 14);
  EXPECT_TRUE(run.closed);
}

TEST(FtpSession, FragmentationGivesTheSameSession) {
  FtpRun whole = play(kUploadSession, 1 << 20, "payload");
  for (std::size_t chunk : {1, 2, 5, 100}) {
    FtpRun split = play(kUploadSession, chunk, "payload");
    EXPECT_EQ(split.sent, whole.sent) << chunk;
    EXPECT_EQ(split.events, whole.events) << chunk;
    EXPECT_EQ(split.data_to_client, whole.data_to_client) << chunk;
  }
}

TEST(FtpSession, AnonymousLoginAndCommandsBeforeLoginRefused) {
  FtpRun run = play("LIST\r\nUSER anonymous\r\nPASS IEUser@\r\nNLST\r\nPASV\r\nNLST\r\n", 7);
  EXPECT_NE(run.sent.find("530 Please login with USER and PASS."), std::string::npos);
  EXPECT_NE(run.sent.find("425 Use PORT or PASV first."), std::string::npos);
  ASSERT_EQ(run.data_to_client.size(), 1u);
  EXPECT_NE(run.data_to_client[0].find("mnt\r\n"), std::string::npos);
  EXPECT_NE(run.events[2].find("\"anonymous\""), std::string::npos);
}

TEST(FtpSession, ThreeFailedLoginsCloseAndOverlongLinesEndTheSession) {
  FtpRun run = play("USER a\r\nPASS 1\r\nUSER b\r\nPASS 2\r\nUSER c\r\nPASS 3\r\nUSER d\r\n", 3);
  EXPECT_NE(run.sent.find("421 Too many failed logins."), std::string::npos);
  EXPECT_TRUE(run.closed);
  FtpRun flood = play(std::string(10000, 'A'), 100);
  EXPECT_NE(flood.sent.find("500 Command line too long."), std::string::npos);
  EXPECT_TRUE(flood.closed);
}

TEST(FtpCommand, DataAddresses) {
  auto port = parse_port("127,0,0,1,4,1");
  ASSERT_TRUE(port);
  EXPECT_EQ(port->address, "127.0.0.1");
  EXPECT_EQ(port->port, 1025);
  EXPECT_FALSE(parse_port("127,0,0,1,4"));
  EXPECT_FALSE(parse_port("127,0,0,256,4,1"));
  auto v6 = parse_eprt("|2|::1|5282|");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->address, "::1");
  EXPECT_EQ(v6->port, 5282);
  EXPECT_TRUE(parse_eprt("!1!192.0.2.1!21!"));
  EXPECT_FALSE(parse_eprt("|1|example.com|21|"));
  EXPECT_FALSE(parse_eprt("|1|192.0.2.1|0|"));
}

}  // namespace
}  // namespace mitsu::sensor::ftp
