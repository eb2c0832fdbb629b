#include "analysis/static/strings.h"

#include <algorithm>
#include <array>
#include <bit>
#include <set>
#include <string_view>
#include <unordered_set>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mitsu::analysis {
namespace {

constexpr std::array<bool, 256> kPrintable = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x7f; ++c) {
    table[c] = true;
  }
  table['\t'] = true;
  return table;
}();

bool printable(std::uint8_t c) {
  return kPrintable[c];
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

// The scans work on bit masks, 64 bytes at a time: bit i of a mask says whether byte i is
// printable (or zero). Runs of set bits are then found with count-zero instructions, so the work
// grows with the number of strings, not bytes; the mask is built with SSE2 where there is one.

std::uint64_t below(std::size_t bits) {
  return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
}

struct ByteMasks {
  std::vector<std::uint64_t> printable;
  std::vector<std::uint64_t> zero;
};

ByteMasks byte_masks(std::span<const std::byte> data) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  const std::size_t blocks = (data.size() + 63) / 64;
  ByteMasks masks{std::vector<std::uint64_t>(blocks), std::vector<std::uint64_t>(blocks)};
  std::size_t block = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i span = _mm_set1_epi8(0x7e - 0x20);
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i nul = _mm_setzero_si128();
  for (; (block + 1) * 64 <= data.size(); ++block) {
    std::uint64_t printable = 0;
    std::uint64_t zero = 0;
    for (int part = 0; part < 4; ++part) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + block * 64 + part * 16));
      __m128i offset = _mm_sub_epi8(v, space);  // printable iff offset <= 0x5e, unsigned
      __m128i in_range = _mm_cmpeq_epi8(_mm_min_epu8(offset, span), offset);
      __m128i text = _mm_or_si128(in_range, _mm_cmpeq_epi8(v, tab));
      printable |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(text)))
                   << (part * 16);
      zero |= static_cast<std::uint64_t>(
                  static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nul))))
              << (part * 16);
    }
    masks.printable[block] = printable;
    masks.zero[block] = zero;
  }
#endif
  for (std::size_t i = block * 64; i < data.size(); ++i) {
    masks.printable[i / 64] |= std::uint64_t{kPrintable[bytes[i]]} << (i % 64);
    masks.zero[i / 64] |= std::uint64_t{bytes[i] == 0} << (i % 64);
  }
  return masks;
}

// Finds runs of at least min_length characters in a stream of masks. A character takes `stride`
// bytes (1 for ASCII, 2 for UTF-16) and is marked by the bit of its first byte; `fill` marks the
// bits of the other parity, which a UTF-16 run passes over. Calls flush(end, characters) with the
// byte offset just past the run.
template <typename Flush>
void scan_runs(const std::vector<std::uint64_t>& masks, std::size_t stride, std::uint64_t fill,
               std::size_t min_length, Flush&& flush) {
  std::size_t run = 0;  // characters of a run still open at the block boundary
  for (std::size_t block = 0; block < masks.size(); ++block) {
    std::uint64_t m = masks[block];
    const std::size_t base = block * 64;
    if (run > 0) {
      const auto lead = static_cast<std::size_t>(std::countr_one(m | fill));
      if (lead == 64) {
        run += static_cast<std::size_t>(std::popcount(m));
        continue;
      }
      run += static_cast<std::size_t>(std::popcount(m & below(lead)));
      if (run >= min_length) {
        flush(base + lead, run);
      }
      run = 0;
      m &= ~below(lead);
    }
    const auto trailing = static_cast<std::size_t>(std::countl_one(m | fill));
    if (trailing == 64) {
      run = static_cast<std::size_t>(std::popcount(m));
      continue;
    }
    std::uint64_t inner = m & below(64 - trailing);
    run = static_cast<std::size_t>(std::popcount(m & ~below(64 - trailing)));
    // Starts of runs long enough, among the runs that end inside this block.
    std::uint64_t starts = (min_length - 1) * stride < 64 ? inner : 0;
    for (std::size_t k = 1; k < min_length && starts != 0; ++k) {
      starts &= inner >> (k * stride);
    }
    while (starts != 0) {
      const auto at = static_cast<std::size_t>(std::countr_zero(starts));
      const auto length = static_cast<std::size_t>(std::countr_one((inner | fill) >> at));
      flush(base + at + length,
            static_cast<std::size_t>(std::popcount((inner >> at) & below(length))));
      starts &= ~below(at + length);
    }
  }
  if (run >= min_length) {
    flush(masks.size() * 64, run);
  }
}

void collect_ascii(std::span<const std::byte> data, const std::vector<std::uint64_t>& text_masks,
                   std::size_t min_length, std::uint8_t key, std::span<const std::byte> original,
                   std::vector<ExtractedString>& out) {
  scan_runs(text_masks, 1, 0, min_length, [&](std::size_t end, std::size_t run) {
    end = std::min(end, data.size());
    if (out.size() >= kMaxStrings) {
      return;
    }
    std::size_t start = end - run;
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
      bool marker = std::any_of(kXorMarkers.begin(), kXorMarkers.end(),
                                [&](auto m) { return decoded.find(m) != std::string_view::npos; });
      if (!terminated && !hidden && !marker) {
        return;
      }
    }
    std::string text(reinterpret_cast<const char*>(data.data()) + start,
                     std::min(run, kMaxStringLength));
    out.push_back({start, std::move(text), false, key});
  });
}

void collect_utf16(std::span<const std::byte> data, const ByteMasks& masks, std::size_t min_length,
                   std::vector<ExtractedString>& out) {
  // A UTF-16LE character: a printable byte followed by a zero byte.
  std::vector<std::uint64_t> chars(masks.printable.size());
  for (std::size_t b = 0; b < chars.size(); ++b) {
    std::uint64_t next_zero = b + 1 < chars.size() ? masks.zero[b + 1] & 1 : 0;
    chars[b] = masks.printable[b] & ((masks.zero[b] >> 1) | (next_zero << 63));
  }
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  constexpr std::uint64_t kEven = 0x5555555555555555;
  for (std::uint64_t lane : {kEven, ~kEven}) {
    std::vector<std::uint64_t> lane_chars(chars.size());
    for (std::size_t b = 0; b < chars.size(); ++b) {
      lane_chars[b] = chars[b] & lane;
    }
    scan_runs(lane_chars, 2, ~lane, min_length, [&](std::size_t end, std::size_t run) {
      if (out.size() >= kMaxStrings) {
        return;
      }
      std::size_t start = end - 2 * run;
      std::string text;
      text.reserve(std::min(run, kMaxStringLength));
      for (std::size_t i = start; i < end && text.size() < kMaxStringLength; i += 2) {
        text.push_back(static_cast<char>(bytes[i]));
      }
      out.push_back({start, std::move(text), true, 0});
    });
  }
}

}  // namespace

std::vector<ExtractedString> extract_strings(std::span<const std::byte> data,
                                             std::size_t min_length) {
  std::vector<ExtractedString> out;
  ByteMasks masks = byte_masks(data);
  collect_ascii(data, masks.printable, min_length, 0, data, out);
  collect_utf16(data, masks, min_length, out);
  return out;
}

std::vector<std::uint8_t> find_xor_keys(std::span<const std::byte> data) {
  // XOR with one key keeps the XOR of neighbouring bytes, so candidates are found in one pass
  // by the key-independent deltas of three bytes, whatever the key; a bit table of those deltas
  // (8 KiB) lets almost every position go by, and only candidates are checked in full.
  auto deltas = [](std::uint8_t a, std::uint8_t b, std::uint8_t c) {
    return static_cast<std::uint16_t>((a ^ b) | ((b ^ c) << 8));
  };
  static const auto candidate = [&] {
    std::vector<bool> table(1 << 16);
    for (std::string_view marker : kXorMarkers) {
      const auto* m = reinterpret_cast<const std::uint8_t*>(marker.data());
      table[deltas(m[0], m[1], m[2])] = true;
    }
    return table;
  }();
  std::array<int, 256> hits{};
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  auto check = [&](std::size_t i) {
    if (!candidate[deltas(bytes[i], bytes[i + 1], bytes[i + 2])]) {
      return;
    }
    for (std::string_view marker : kXorMarkers) {
      auto key = static_cast<std::uint8_t>(bytes[i] ^ static_cast<std::uint8_t>(marker[0]));
      if (key == 0 || i + marker.size() > data.size()) {
        continue;
      }
      bool match = true;
      for (std::size_t j = 1; j < marker.size() && match; ++j) {
        match = (bytes[i + j] ^ key) == static_cast<std::uint8_t>(marker[j]);
      }
      hits[key] += match ? 1 : 0;
    }
  };
  std::size_t i = 0;
#if defined(__SSE2__)
  // Sixteen positions at a time: only those whose first delta starts some marker go on.
  struct FirstDeltas {
    __m128i wanted[kXorMarkers.size()];
    std::size_t count = 0;
  };
  static const FirstDeltas first_deltas = [] {
    FirstDeltas out{};
    std::array<bool, 256> seen{};
    for (std::string_view marker : kXorMarkers) {
      auto d = static_cast<std::uint8_t>(marker[0] ^ marker[1]);
      if (!seen[d]) {
        seen[d] = true;
        out.wanted[out.count++] = _mm_set1_epi8(static_cast<char>(d));
      }
    }
    return out;
  }();
  for (; i + 18 <= data.size(); i += 16) {
    const __m128i d =
        _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + i)),
                      _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + i + 1)));
    __m128i any = _mm_setzero_si128();
    for (std::size_t k = 0; k < first_deltas.count; ++k) {
      any = _mm_or_si128(any, _mm_cmpeq_epi8(d, first_deltas.wanted[k]));
    }
    for (auto mask = static_cast<unsigned>(_mm_movemask_epi8(any)); mask != 0; mask &= mask - 1) {
      check(i + static_cast<std::size_t>(std::countr_zero(mask)));
    }
  }
#endif
  for (; i + 2 < data.size(); ++i) {
    check(i);
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
  std::unordered_set<std::string_view> present;
  present.reserve(strings.size());
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
  std::vector<std::byte> decoded(report.xor_keys.empty() ? 0 : data.size());
  ByteMasks original_masks = report.xor_keys.empty() ? ByteMasks{} : byte_masks(data);
  for (std::uint8_t key : report.xor_keys) {
    for (std::size_t i = 0; i < data.size(); ++i) {
      decoded[i] = data[i] ^ std::byte{key};
    }
    // Zero bytes in the original are padding between hidden entries, not text: XOR would turn
    // them into the key itself and glue neighbouring entries together.
    std::vector<std::uint64_t> text = byte_masks(decoded).printable;
    for (std::size_t b = 0; b < text.size(); ++b) {
      text[b] &= ~original_masks.zero[b];
    }
    collect_ascii(decoded, text, kMinStringLength, key, data, report.strings);
  }
  for (const ExtractedString& s : report.strings) {
    extract_iocs(s.text, report.iocs);
  }
  return report;
}

}  // namespace mitsu::analysis
