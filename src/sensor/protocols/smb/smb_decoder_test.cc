// The SMB decoder over recorded sessions (fuzz/corpus/smb_stream, made from relay recordings of
// smbclient and of impacket playing SambaCry against real Samba): what it reports, and that any
// cutting of the streams into reads reports the same.

#include "sensor/protocols/smb/smb_decoder.h"

#include <gtest/gtest.h>

#include <fstream>

namespace mitsu::sensor::smb {
namespace {

struct Record {
  bool client;
  std::string bytes;
};

std::vector<Record> transcript(const std::string& name) {
  std::ifstream in(std::string(MITSU_SOURCE_DIR) + "/fuzz/corpus/smb_stream/" + name,
                   std::ios::binary);
  std::string d{std::istreambuf_iterator<char>(in), {}};
  std::vector<Record> out;
  for (std::size_t at = 0; at + 5 <= d.size();) {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= static_cast<std::uint32_t>(static_cast<unsigned char>(d[at + 1 + i])) << (8 * i);
    }
    out.push_back({d[at] == 'C', d.substr(at + 5, length)});
    at += 5 + length;
  }
  return out;
}

struct Seen {
  std::vector<std::string> events;
  std::vector<CapturedFile> captures;
};

Seen decode(const std::vector<Record>& records, std::size_t chunk, std::string share_dir = {}) {
  SmbDecoder decoder(std::move(share_dir));
  SessionActions out;
  for (const Record& r : records) {
    for (std::size_t at = 0; at < r.bytes.size(); at += chunk) {
      std::string_view piece = std::string_view(r.bytes).substr(at, chunk);
      auto bytes = std::as_bytes(std::span(piece.data(), piece.size()));
      r.client ? decoder.from_client(bytes, out) : decoder.from_server(bytes, out);
    }
  }
  decoder.finish(out);
  Seen seen;
  for (const auto& e : out.events) {
    seen.events.push_back(e.action + " " + e.fields.dump());
  }
  seen.captures = out.captures;
  return seen;
}

TEST(SmbDecoder, SmbclientPutIsASessionAShareAFileAndAnUpload) {
  auto records = transcript("smbclient_put");
  ASSERT_FALSE(records.empty());
  Seen seen = decode(records, 1 << 20);
  std::string all;
  for (const auto& e : seen.events) {
    all += e + "\n";
  }
  EXPECT_NE(all.find("smb.session"), std::string::npos) << all;
  EXPECT_NE(all.find(R"("mitsu.smb.share":"\\\\127.0.0.1\\share")"), std::string::npos) << all;
  EXPECT_NE(all.find(R"(fixture.bin)"), std::string::npos) << all;
  EXPECT_EQ(all.find("anomaly"), std::string::npos) << all;
  ASSERT_EQ(seen.captures.size(), 1u);
  EXPECT_EQ(seen.captures[0].path, "\\\\127.0.0.1\\share\\fixture.bin");
  EXPECT_TRUE(seen.captures[0].content.starts_with("MZ fixture payload"));
  EXPECT_EQ(seen.captures[0].content.size(), 300u * 19);
}

TEST(SmbDecoder, ImpacketSambaCryIsTwoExploitsOneNamingTheUpload) {
  Seen seen = decode(transcript("impacket_sambacry"), 1 << 20, "/tmp/sb/share");
  std::vector<std::string> exploits;
  for (const auto& e : seen.events) {
    if (e.starts_with("exploit ")) {
      exploits.push_back(e);
    }
  }
  ASSERT_EQ(exploits.size(), 2u);
  EXPECT_NE(exploits[0].find(R"("file.path":"/wrong/place/libmitsu_probe.so")"), std::string::npos);
  EXPECT_NE(exploits[0].find(R"("mitsu.smb.matches_upload":false)"), std::string::npos);
  EXPECT_NE(exploits[1].find(R"("mitsu.smb.matches_upload":true)"), std::string::npos);
  EXPECT_NE(exploits[1].find("CVE-2017-7494"), std::string::npos);
}

TEST(SmbDecoder, Smb1SambaCryIsDecodedToo) {
  Seen seen = decode(transcript("impacket_sambacry_smb1"), 1 << 20, "/tmp/sb/share");
  std::size_t exploits = 0;
  for (const auto& e : seen.events) {
    exploits += e.starts_with("exploit ") && e.find("CVE-2017-7494") != std::string::npos;
  }
  EXPECT_EQ(exploits, 2u);
  ASSERT_EQ(seen.captures.size(), 1u);
  EXPECT_EQ(seen.captures[0].content, "not a shared object\n");
}

TEST(SmbDecoder, AnyCuttingIntoReadsGivesTheSameDecoding) {
  for (const char* name : {"smbclient_put", "impacket_sambacry", "impacket_sambacry_smb1"}) {
    auto records = transcript(name);
    Seen whole = decode(records, 1 << 20, "/tmp/sb/share");
    for (std::size_t chunk : {1u, 2u, 5u, 100u}) {
      Seen cut = decode(records, chunk, "/tmp/sb/share");
      EXPECT_EQ(cut.events, whole.events) << name << " in " << chunk << "-byte reads";
      ASSERT_EQ(cut.captures.size(), whole.captures.size());
      for (std::size_t i = 0; i < cut.captures.size(); ++i) {
        EXPECT_EQ(cut.captures[i].content, whole.captures[i].content);
      }
    }
  }
}

TEST(SmbDecoder, GarbageEndsDecodingWithOneAnomaly) {
  SmbDecoder decoder;
  SessionActions out;
  std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  decoder.from_client(std::as_bytes(std::span(http.data(), http.size())), out);
  decoder.from_client(std::as_bytes(std::span(http.data(), http.size())), out);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].action, "anomaly");
  EXPECT_TRUE(decoder.failed());
  std::string huge("\x00\xff\xff\xff", 4);
  SmbDecoder second;
  second.from_client(std::as_bytes(std::span(huge.data(), huge.size())), out);
  EXPECT_TRUE(second.failed()) << "a 16 MiB message header is refused before any buffering";
}

}  // namespace
}  // namespace mitsu::sensor::smb
