#include "sensor/protocols/tftp/tftp_session.h"

#include <gtest/gtest.h>

#include "sensor/persona/test_persona.h"
#include "sensor/shell/emulated_shell.h"

namespace mitsu::sensor::tftp {
namespace {

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string request(std::uint16_t opcode, std::string_view name,
                    std::vector<std::pair<std::string, std::string>> options = {}) {
  std::string out{'\0', static_cast<char>(opcode)};
  out += std::string(name) + '\0' + "octet" + '\0';
  for (const auto& [k, v] : options) {
    out += k + '\0' + v + '\0';
  }
  return out;
}

std::shared_ptr<const FakeFilesystem> files() {
  DevicePersona p = test_persona("router", "mips", "R");
  p.directories = {"/tftpboot"};
  p.files = {{"/tftpboot/config.bin", std::string(1000, 'c'), 0644}};
  return persona_filesystem(p);
}

TEST(TftpPacket, ParsesRequestsAndRejectsGarbage) {
  auto p = parse(bytes(request(2, "x.sh", {{"BLKSIZE", "1024"}, {"tsize", "5"}})));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->opcode, Opcode::kWrq);
  EXPECT_EQ(p->filename, "x.sh");
  ASSERT_EQ(p->options.size(), 2u);
  EXPECT_EQ(p->options[0].first, "blksize");
  EXPECT_FALSE(parse(bytes(std::string("\0\x01noterminator", 14))));
  EXPECT_FALSE(parse(bytes(std::string("\0\x09x\0octet\0", 10))));
  EXPECT_FALSE(parse(bytes(std::string("\0\x01x\0weird\0", 10))));
  EXPECT_FALSE(parse(bytes(std::string("\0\x04\0", 3))));
}

TEST(TftpPacket, FieldLimitsDataAndErrors) {
  EXPECT_TRUE(parse(bytes(request(1, std::string(512, 'a')))));
  EXPECT_FALSE(parse(bytes(request(1, std::string(513, 'a')))));
  EXPECT_TRUE(parse(bytes(request(1, "x") + std::string(3, '\0'))));  // NUL padding
  auto data = parse(bytes(std::string("\0\x03\x01\x02payload", 11)));
  ASSERT_TRUE(data);
  EXPECT_EQ(data->block, 0x0102);
  EXPECT_EQ(data->data, "payload");
  auto error =
      parse(bytes(std::string("\0\x05\0\x01"
                              "File not found\0junk",
                              23)));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->error_code, 1);
  EXPECT_EQ(error->error_message, "File not found");
  EXPECT_FALSE(parse(bytes(std::string("\0\x04\0\x01\0", 5))));  // ACK is exactly 4 bytes
}

TEST(TftpSession, WriteIsAcknowledgedAndKept) {
  TftpSession s(files(), request(2, "bot.mips"));
  SessionActions a = s.open();
  EXPECT_EQ(a.send, ack_packet(0));
  ASSERT_EQ(a.events.size(), 1u);
  EXPECT_EQ(a.events[0].fields["mitsu.tftp.operation"], "write");
  std::string payload(1200, 'p');
  a = s.receive(bytes(data_packet(1, payload.substr(0, 512))));
  EXPECT_EQ(a.send, ack_packet(1));
  a = s.receive(bytes(data_packet(1, payload.substr(0, 512))));  // a retransmission
  EXPECT_EQ(a.send, ack_packet(1));
  a = s.receive(bytes(data_packet(3, "out of order")));
  EXPECT_TRUE(a.send.empty());
  a = s.receive(bytes(data_packet(2, payload.substr(512, 512))));
  EXPECT_EQ(a.send, ack_packet(2));
  a = s.receive(bytes(data_packet(3, payload.substr(1024))));
  EXPECT_EQ(a.send, ack_packet(3));
  EXPECT_TRUE(a.close);
  ASSERT_EQ(a.captures.size(), 1u);
  EXPECT_EQ(a.captures[0].path, "/tftpboot/bot.mips");
  EXPECT_EQ(a.captures[0].content, payload);
  EXPECT_TRUE(s.finish().captures.empty()) << "kept once";
}

TEST(TftpSession, ReadWithOptionsAndRetransmission) {
  TftpSession s(files(), request(1, "config.bin", {{"blksize", "600"}, {"tsize", "0"}}));
  SessionActions a = s.open();
  EXPECT_EQ(a.send, oack_packet({{"blksize", "600"}, {"tsize", "1000"}}));
  a = s.receive(bytes(ack_packet(0)));
  EXPECT_EQ(a.send, data_packet(1, std::string(600, 'c')));
  EXPECT_EQ(s.retransmit().send, a.send);
  a = s.receive(bytes(ack_packet(1)));
  EXPECT_EQ(a.send, data_packet(2, std::string(400, 'c')));
  EXPECT_TRUE(s.receive(bytes(ack_packet(1))).send.empty()) << "no Sorcerer's Apprentice";
  a = s.receive(bytes(ack_packet(2)));
  EXPECT_TRUE(a.close);
  EXPECT_TRUE(s.done());
}

TEST(TftpSession, MissingFilesOversizedAndAbandonedUploads) {
  TftpSession missing(files(), request(1, "nothing"));
  SessionActions a = missing.open();
  EXPECT_EQ(a.send, error_packet(1, "File not found"));
  EXPECT_TRUE(a.close);

  TftpSession big(files(), request(2, "x", {{"tsize", "999999999"}}));
  EXPECT_EQ(big.open().send, error_packet(3, "Disk full or allocation exceeded"));

  TftpSession partial(files(), request(2, "/tmp/part"));
  partial.open();
  partial.receive(bytes(data_packet(1, std::string(512, 'q'))));
  for (int i = 0; i < kMaxRetransmits; ++i) {
    EXPECT_FALSE(partial.retransmit().close);
  }
  a = partial.retransmit();
  EXPECT_TRUE(a.close);
  ASSERT_EQ(a.captures.size(), 1u) << "what arrived is kept";
  EXPECT_EQ(a.captures[0].content.size(), 512u);
}

}  // namespace
}  // namespace mitsu::sensor::tftp
