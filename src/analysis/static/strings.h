#pragma once
// Strings and indicators of compromise in a sample: ASCII and UTF-16LE strings, the same after
// single-byte XOR decoding where a key is evident (Mirai hides its table with XOR 0x22), and the
// URLs, IPv4 endpoints, domains and shell commands among them.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mitsu::analysis {

inline constexpr std::size_t kMinStringLength = 4;
inline constexpr std::size_t kMaxStrings = 20000;
inline constexpr std::size_t kMaxStringLength = 4096;
inline constexpr std::size_t kMaxIocsPerKind = 1000;

struct ExtractedString {
  std::uint64_t offset = 0;
  std::string text;
  bool utf16 = false;
  std::uint8_t xor_key = 0;  // 0: found as is
};

struct Iocs {
  std::vector<std::string> urls;
  std::vector<std::string> endpoints;  // "a.b.c.d" or "a.b.c.d:port"
  std::vector<std::string> domains;
  std::vector<std::string> commands;     // shell commands: wget/curl/tftp droppers and the like
  std::vector<std::string> credentials;  // "user:password" default credentials the sample carries
};

// Default credentials bots brute-force with (rules/credentials.txt): user, password.
using CredentialList = std::vector<std::pair<std::string, std::string>>;
// "user password" per line, '#' comments.
CredentialList parse_credential_list(std::string_view text);
// The pairs whose password appears as a whole string in the sample (user names such as "root"
// are everywhere; passwords like "xc3511" are not), when at least min_pairs of them do: one
// match can be chance, a list is a brute-force dictionary.
std::vector<std::string> find_credentials(const std::vector<ExtractedString>& strings,
                                          const CredentialList& known, std::size_t min_pairs = 3);

struct StringsReport {
  std::vector<ExtractedString> strings;
  std::vector<std::uint8_t> xor_keys;  // keys evident from known plaintext
  Iocs iocs;
};

// Printable runs (ASCII and UTF-16LE) of at least min_length characters. Every string's text is
// printable ASCII (0x20-0x7e and tab), so valid UTF-8 as it is, whatever the bytes around it.
std::vector<ExtractedString> extract_strings(std::span<const std::byte> data,
                                             std::size_t min_length = kMinStringLength);

// Single-byte XOR keys under which words malware always carries ("/proc/", "watchdog",
// "busybox", …) appear in the data.
std::vector<std::uint8_t> find_xor_keys(std::span<const std::byte> data);

// Indicators in one string, appended to iocs without duplicates.
void extract_iocs(std::string_view text, Iocs& iocs);

StringsReport analyze_strings(std::span<const std::byte> data);

}  // namespace mitsu::analysis
