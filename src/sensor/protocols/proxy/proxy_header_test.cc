#include "sensor/protocols/proxy/proxy_header.h"

#include <gtest/gtest.h>

namespace mitsu::sensor::proxy {
namespace {

Header parse_text(std::string_view text) {
  return parse(std::as_bytes(std::span(text.data(), text.size())));
}

std::string v2(std::uint8_t command, std::uint8_t family, std::string addresses) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h += static_cast<char>(0x20 | command);
  h += static_cast<char>(family);
  h += static_cast<char>(addresses.size() >> 8);
  h += static_cast<char>(addresses.size() & 0xff);
  return h + addresses;
}

TEST(ProxyHeader, Version1) {
  Header h = parse_text("PROXY TCP4 203.0.113.7 192.0.2.1 51234 23\r\nroot\r\n");
  ASSERT_EQ(h.status, Header::Status::kComplete) << h.error;
  EXPECT_EQ(h.consumed, 43u);
  EXPECT_EQ(h.source_ip, "203.0.113.7");
  EXPECT_EQ(h.source_port, 51234);
  EXPECT_EQ(h.destination_port, 23);
  h = parse_text("PROXY TCP6 2001:db8::7 2001:db8::1 1 2\r\n");
  ASSERT_EQ(h.status, Header::Status::kComplete);
  EXPECT_EQ(h.source_ip, "2001:db8::7");
  EXPECT_TRUE(parse_text("PROXY UNKNOWN\r\n").local);
  EXPECT_EQ(parse_text("PROXY TCP4 203.0.113.7 192.0.2.1 5").status, Header::Status::kNeedMore);
  EXPECT_EQ(parse_text("PRO").status, Header::Status::kNeedMore);
  EXPECT_EQ(parse_text("root\r\n").status, Header::Status::kInvalid);
  EXPECT_EQ(parse_text("PROXY TCP4 300.0.0.1 192.0.2.1 1 2\r\n").status, Header::Status::kInvalid);
  EXPECT_EQ(parse_text("PROXY TCP4 203.0.113.7 192.0.2.1 65536 2\r\n").status,
            Header::Status::kInvalid);
  EXPECT_EQ(parse_text("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n").status, Header::Status::kInvalid);
  EXPECT_EQ(parse_text("PROXY " + std::string(200, 'x')).status, Header::Status::kInvalid);
}

TEST(ProxyHeader, Version2) {
  std::string v4 = v2(1, 0x11, std::string("\xcb\x00\x71\x07\xc0\x00\x02\x01\xc8\x22\x00\x17", 12));
  Header h = parse_text(v4 + "rest");
  ASSERT_EQ(h.status, Header::Status::kComplete) << h.error;
  EXPECT_EQ(h.consumed, 28u);
  EXPECT_EQ(h.source_ip, "203.0.113.7");
  EXPECT_EQ(h.source_port, 51234);
  EXPECT_EQ(h.destination_ip, "192.0.2.1");
  EXPECT_EQ(h.destination_port, 23);
  EXPECT_TRUE(parse_text(v2(0, 0, "")).local);
  for (std::size_t cut = 0; cut < v4.size(); ++cut) {
    EXPECT_EQ(parse_text(v4.substr(0, cut)).status, Header::Status::kNeedMore) << cut;
  }
  EXPECT_EQ(parse_text(v2(1, 0x11, "short")).status, Header::Status::kInvalid);
  std::string bad_version = v4;
  bad_version[12] = 0x31;
  EXPECT_EQ(parse_text(bad_version).status, Header::Status::kInvalid);
}

// The addresses are read inside the length the header gives, not to the end of the buffer.
TEST(ProxyHeader, Version2Tcp6) {
  std::string addresses(32, '\0');
  addresses[0] = '\x20';
  addresses[1] = '\x01';
  addresses[15] = '\x07';
  addresses += std::string("\xc8\x22\x00\x17", 4);
  Header h = parse_text(v2(1, 0x21, addresses));
  ASSERT_EQ(h.status, Header::Status::kComplete) << h.error;
  EXPECT_EQ(h.consumed, 52u);
  EXPECT_EQ(h.source_ip, "2001::7");
  EXPECT_EQ(h.destination_ip, "::");
  EXPECT_EQ(h.source_port, 51234);
  EXPECT_EQ(h.destination_port, 23);
  std::string truncated = v2(1, 0x21, addresses.substr(0, 35)) + "x";
  EXPECT_EQ(parse_text(truncated).status, Header::Status::kInvalid);
  EXPECT_TRUE(parse_text(v2(1, 0x12, "udp")).local);
}

}  // namespace
}  // namespace mitsu::sensor::proxy
