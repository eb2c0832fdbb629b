#include "analysis/static/strings.h"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

namespace mitsu::analysis {
namespace {

bool printable(std::uint8_t c) {
  return (c >= 0x20 && c < 0x7f) || c == '\t';
}

void add_unique(std::vector<std::string>& list, std::string_view value) {
  if (list.size() < kMaxIocsPerKind && std::find(list.begin(), list.end(), value) == list.end()) {
    list.emplace_back(value);
  }
}

// Words an IoT bot carries in clear or in its XOR-hidden table.
constexpr std::array<std::string_view, 12> kXorMarkers{
    "/proc/", "/dev/watchdog", "/bin/busybox", "watchdog", "busybox", "/dev/null",
    "enable", "shell",         "/tmp/",        "POST /",   "GET /",   "User-Agent"};

// Top-level domains accepted for domain indicators. A closed list keeps file names such as
// "libc.so.6" or "config.sh" from passing as domains.
const std::set<std::string_view>& known_tlds() {
  static const std::set<std::string_view> kTlds{
      "com", "net", "org", "info", "biz", "io",  "xyz",  "top",   "club",    "online", "site",
      "ru",  "cn",  "su",  "tk",   "ml",  "ga",  "cf",   "gq",    "pw",      "cc",     "me",
      "us",  "eu",  "de",  "uk",   "jp",  "kr",  "in",   "br",    "nl",      "fr",     "it",
      "vn",  "ir",  "tw",  "hk",   "icu", "fun", "live", "space", "website", "tech",   "cloud",
      "app", "dev", "ws",  "to",   "ly",  "gg",  "pro",  "mobi",  "name",    "asia",   "lol"};
  return kTlds;
}

bool is_domain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Parses a dotted quad at text[pos]; returns its length or 0.
std::size_t match_ipv4(std::string_view text, std::size_t pos) {
  std::size_t i = pos;
  for (int part = 0; part < 4; ++part) {
    std::size_t start = i;
    int value = 0;
    while (i < text.size() && is_digit(text[i]) && i - start < 3) {
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start || value > 255 || (i < text.size() && is_digit(text[i]))) {
      return 0;
    }
    if (part < 3) {
      if (i >= text.size() || text[i] != '.') {
        return 0;
      }
      ++i;
    }
  }
  if (i < text.size() && text[i] == '.' && i + 1 < text.size() && is_digit(text[i + 1])) {
    return 0;  // a longer dotted number (a version string)
  }
  return i - pos;
}

void find_urls(std::string_view text, Iocs& iocs) {
  for (std::string_view scheme : {"http://", "https://", "ftp://", "tftp://"}) {
    for (std::size_t pos = text.find(scheme); pos != std::string_view::npos;
         pos = text.find(scheme, pos + 1)) {
      std::size_t end = pos + scheme.size();
      while (end < text.size() && text[end] > ' ' &&
             std::string_view("\"'`;|&<>(){}").find(text[end]) == std::string_view::npos) {
        ++end;
      }
      if (end > pos + scheme.size()) {
        add_unique(iocs.urls, text.substr(pos, end - pos));
      }
    }
  }
}

void find_endpoints(std::string_view text, Iocs& iocs) {
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (!is_digit(text[pos]) || (pos > 0 && (is_digit(text[pos - 1]) || text[pos - 1] == '.'))) {
      continue;
    }
    std::size_t length = match_ipv4(text, pos);
    if (length == 0) {
      continue;
    }
    std::size_t end = pos + length;
    if (end + 1 < text.size() && text[end] == ':' && is_digit(text[end + 1])) {
      std::size_t port_end = end + 1;
      int port = 0;
      while (port_end < text.size() && is_digit(text[port_end]) && port <= 65535) {
        port = port * 10 + (text[port_end] - '0');
        ++port_end;
      }
      if (port <= 65535) {
        end = port_end;
      }
    }
    add_unique(iocs.endpoints, text.substr(pos, end - pos));
    pos = end;
  }
}

void find_domains(std::string_view text, Iocs& iocs) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (!is_domain_char(text[pos])) {
      ++pos;
      continue;
    }
    std::size_t end = pos;
    while (end < text.size() && is_domain_char(text[end])) {
      ++end;
    }
    std::string_view token = text.substr(pos, end - pos);
    while (!token.empty() && (token.back() == '.' || token.back() == '-')) {
      token.remove_suffix(1);
    }
    std::size_t last_dot = token.rfind('.');
    if (last_dot != std::string_view::npos && last_dot > 0 && token.front() != '.' &&
        token.find("..") == std::string_view::npos) {
      std::string tld(token.substr(last_dot + 1));
      std::transform(tld.begin(), tld.end(), tld.begin(), ::tolower);
      if (known_tlds().contains(tld)) {
        std::string domain(token);
        std::transform(domain.begin(), domain.end(), domain.begin(), ::tolower);
        add_unique(iocs.domains, domain);
      }
    }
    pos = end;
  }
}

void find_commands(std::string_view text, Iocs& iocs) {
  static constexpr std::array<std::string_view, 9> kCommandMarkers{
      "wget ", "curl ", "tftp ", "busybox ", "chmod ", "/bin/sh", "rm -rf", "cd /tmp", "ftpget "};
  if (text.size() < 8) {
    return;
  }
  for (std::string_view marker : kCommandMarkers) {
    if (text.find(marker) != std::string_view::npos) {
      add_unique(iocs.commands, text);
      return;
    }
  }
}

void collect_ascii(std::span<const std::byte> data, std::size_t min_length, std::uint8_t key,
                   std::span<const std::byte> original, std::vector<ExtractedString>& out) {
  std::size_t start = 0;
  std::size_t run = 0;
  auto flush = [&](std::size_t end) {
    if (run >= min_length && out.size() < kMaxStrings) {
      if (key != 0) {
        // XOR of readable text with a small key is often readable too. Keep a decoded string
        // only where it looks hidden: terminated by an encoded NUL (the original byte is the
        // key), or not all readable before decoding, or naming a word malware hides.
        bool terminated = end < data.size() && original[end] == std::byte{key};
        bool hidden = false;
        for (std::size_t i = start; i < end && !hidden; ++i) {
          hidden = !printable(static_cast<std::uint8_t>(original[i]));
        }
        std::string_view decoded(reinterpret_cast<const char*>(data.data()) + start, run);
        bool marker = std::any_of(kXorMarkers.begin(), kXorMarkers.end(), [&](auto m) {
          return decoded.find(m) != std::string_view::npos;
        });
        if (!terminated && !hidden && !marker) {
          return;
        }
      }
      std::string text(reinterpret_cast<const char*>(data.data()) + start,
                       std::min(run, kMaxStringLength));
      out.push_back({start, std::move(text), false, key});
    }
  };
  for (std::size_t i = 0; i < data.size(); ++i) {
    // Zero bytes in the original are padding between hidden entries, not text: XOR would turn
    // them into the key itself and glue neighbouring entries together.
    bool padding = key != 0 && original[i] == std::byte{0};
    if (!padding && printable(static_cast<std::uint8_t>(data[i]))) {
      if (run == 0) {
        start = i;
      }
      ++run;
    } else {
      flush(i);
      run = 0;
    }
  }
  flush(data.size());
}

void collect_utf16(std::span<const std::byte> data, std::size_t min_length,
                   std::vector<ExtractedString>& out) {
  for (std::size_t parity = 0; parity < 2; ++parity) {
    std::string text;
    std::size_t start = parity;
    for (std::size_t i = parity; i + 1 < data.size(); i += 2) {
      auto lo = static_cast<std::uint8_t>(data[i]);
      auto hi = static_cast<std::uint8_t>(data[i + 1]);
      if (hi == 0 && printable(lo)) {
        if (text.empty()) {
          start = i;
        }
        if (text.size() < kMaxStringLength) {
          text.push_back(static_cast<char>(lo));
        }
        continue;
      }
      if (text.size() >= min_length && out.size() < kMaxStrings) {
        out.push_back({start, text, true, 0});
      }
      text.clear();
    }
    if (text.size() >= min_length && out.size() < kMaxStrings) {
      out.push_back({start, text, true, 0});
    }
  }
}

}  // namespace

std::vector<ExtractedString> extract_strings(std::span<const std::byte> data,
                                             std::size_t min_length) {
  std::vector<ExtractedString> out;
  collect_ascii(data, min_length, 0, data, out);
  collect_utf16(data, min_length, out);
  return out;
}

std::vector<std::uint8_t> find_xor_keys(std::span<const std::byte> data) {
  // XOR with one key keeps the XOR of neighbouring bytes, so candidates are found in one pass
  // by that key-independent delta, whatever the key; only they are checked in full.
  static const auto by_delta = [] {
    std::array<std::vector<std::string_view>, 256> table;
    for (std::string_view marker : kXorMarkers) {
      table[static_cast<std::uint8_t>(marker[0] ^ marker[1])].push_back(marker);
    }
    return table;
  }();
  std::array<int, 256> hits{};
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  for (std::size_t i = 0; i + 1 < data.size(); ++i) {
    for (std::string_view marker : by_delta[bytes[i] ^ bytes[i + 1]]) {
      auto key = static_cast<std::uint8_t>(bytes[i] ^ static_cast<std::uint8_t>(marker[0]));
      if (key == 0 || i + marker.size() > data.size()) {
        continue;
      }
      bool match = true;
      for (std::size_t j = 2; j < marker.size() && match; ++j) {
        match = (bytes[i + j] ^ key) == static_cast<std::uint8_t>(marker[j]);
      }
      hits[key] += match ? 1 : 0;
    }
  }
  std::vector<std::uint8_t> keys;
  for (int key = 1; key < 256; ++key) {
    if (hits[key] >= 2) {  // one short match can be chance; two words are a key
      keys.push_back(static_cast<std::uint8_t>(key));
    }
  }
  return keys;
}

void extract_iocs(std::string_view text, Iocs& iocs) {
  find_urls(text, iocs);
  find_endpoints(text, iocs);
  find_domains(text, iocs);
  find_commands(text, iocs);
}

CredentialList parse_credential_list(std::string_view text) {
  CredentialList out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    std::size_t space = line.find(' ');
    if (space == std::string_view::npos) {
      continue;
    }
    std::string_view password = line.substr(space + 1);
    while (!password.empty() && (password.back() == '\r' || password.back() == ' ')) {
      password.remove_suffix(1);
    }
    out.emplace_back(std::string(line.substr(0, space)), std::string(password));
  }
  return out;
}

std::vector<std::string> find_credentials(const std::vector<ExtractedString>& strings,
                                          const CredentialList& known, std::size_t min_pairs) {
  std::set<std::string_view> present;
  for (const ExtractedString& s : strings) {
    present.insert(s.text);
  }
  std::vector<std::string> found;
  for (const auto& [user, password] : known) {
    if (password.size() >= 4 && present.contains(password) && present.contains(user)) {
      found.push_back(user + ":" + password);
    }
  }
  if (found.size() < min_pairs) {
    found.clear();
  }
  return found;
}

StringsReport analyze_strings(std::span<const std::byte> data) {
  StringsReport report;
  report.strings = extract_strings(data);
  report.xor_keys = find_xor_keys(data);
  std::vector<std::byte> decoded(data.size());
  for (std::uint8_t key : report.xor_keys) {
    for (std::size_t i = 0; i < data.size(); ++i) {
      decoded[i] = data[i] ^ std::byte{key};
    }
    collect_ascii(decoded, kMinStringLength, key, data, report.strings);
  }
  for (const ExtractedString& s : report.strings) {
    extract_iocs(s.text, report.iocs);
  }
  return report;
}

}  // namespace mitsu::analysis
