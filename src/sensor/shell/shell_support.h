#pragma once
// Helpers the emulated shell's files share (interpreter, applets, ELF stub): not for use
// outside sensor/shell.

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

namespace mitsu::sensor::shell_support {

inline constexpr int kMaxScriptDepth = 3;  // `sh file` inside `sh file` …: bots nest two at most

// What `uname -m` says for the persona's CPU (elf_stub.cc keeps the CPU table).
std::string_view uname_machine(std::string_view arch);

// One escape at text[i] == '\\' as busybox echo -e and printf decode it ("\x41", "\0101",
// "\n"; printf also takes "\101"). Appends to out, returns the bytes consumed; stop is set by
// "\c" (no further output).
inline std::size_t decode_escape_at(std::string_view text, std::size_t i, std::string& out,
                                    bool printf_octal, bool& stop) {
  if (i + 1 >= text.size()) {
    out += '\\';
    return 1;
  }
  auto digits = [&](unsigned base, std::size_t max, std::size_t from) {
    unsigned value = 0;
    std::size_t n = 0;
    while (n < max && from + n < text.size()) {
      char d = text[from + n];
      unsigned v = d >= '0' && d <= '9'   ? static_cast<unsigned>(d - '0')
                   : d >= 'a' && d <= 'f' ? static_cast<unsigned>(d - 'a' + 10)
                   : d >= 'A' && d <= 'F' ? static_cast<unsigned>(d - 'A' + 10)
                                          : 99;
      if (v >= base) {
        break;
      }
      value = value * base + v;
      ++n;
    }
    return std::pair<unsigned, std::size_t>(value, n);
  };
  char e = text[i + 1];
  static constexpr std::string_view kSimple = "ntrabfve\\";
  static constexpr std::string_view kSimpleValue = "\n\t\r\a\b\f\v\x1b\\";
  if (std::size_t k = kSimple.find(e); k != std::string_view::npos) {
    out += kSimpleValue[k];
    return 2;
  }
  if (e == 'c') {
    stop = true;
    return 2;
  }
  if (e == 'x') {
    auto [value, n] = digits(16, 2, i + 2);
    if (n == 0) {
      out += "\\x";
      return 2;
    }
    out += static_cast<char>(value);
    return 2 + n;
  }
  if (e == '0') {
    auto [value, n] = digits(8, 3, i + 2);
    out += static_cast<char>(value & 0xff);
    return 2 + n;
  }
  if (printf_octal && e >= '1' && e <= '7') {
    auto [value, n] = digits(8, 3, i + 1);
    out += static_cast<char>(value & 0xff);
    return 1 + n;
  }
  out += '\\';
  out += e;
  return 2;
}

// Returns false at "\c".
inline bool decode_escapes(std::string_view text, std::string& out, bool printf_octal) {
  bool stop = false;
  for (std::size_t i = 0; i < text.size() && !stop;) {
    if (text[i] == '\\') {
      i += decode_escape_at(text, i, out, printf_octal, stop);
    } else {
      out += text[i++];
    }
  }
  return !stop;
}

inline std::string base_name(std::string_view path) {
  std::size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// "http://host:port/path" → the last path segment, or "index.html" as wget names it.
inline std::string file_name_of_url(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return "index.html";
  }
  std::string_view path = rest.substr(slash);
  path = path.substr(0, path.find_first_of("?#"));
  std::string name = base_name(path);
  return name.empty() ? "index.html" : name;
}

inline std::string host_of_url(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  return std::string(rest.substr(0, rest.find('/')));
}

inline std::optional<long> to_number(std::string_view text) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace mitsu::sensor::shell_support
