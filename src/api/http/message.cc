#include "api/http/message.h"

namespace mitsu::api {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// `plus_is_space`: in a query string "+" is a space; in a path it is itself.
std::optional<std::string> decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '\0') {
      return std::nullopt;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::optional<ParsedTarget> parse_target(std::string_view target) {
  ParsedTarget parsed;
  std::size_t question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  if (raw_path.empty() || raw_path.front() != '/') {
    return std::nullopt;
  }
  // An encoded slash would let one path parameter span segments ("..%2F..%2Fetc"): refused, as
  // most servers do.
  if (raw_path.find("%2F") != std::string_view::npos ||
      raw_path.find("%2f") != std::string_view::npos) {
    return std::nullopt;
  }
  auto path = decode(raw_path, false);
  if (!path) {
    return std::nullopt;
  }
  parsed.path = std::move(*path);
  if (question == std::string_view::npos) {
    return parsed;
  }
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    std::size_t eq = pair.find('=');
    auto key = decode(pair.substr(0, eq), true);
    auto value =
        decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) {
      return std::nullopt;
    }
    parsed.query.emplace_back(std::move(*key), std::move(*value));
  }
  return parsed;
}

std::optional<std::string> cookie_value(const std::string& header, std::string_view name) {
  std::string_view rest = header;
  while (!rest.empty()) {
    std::size_t semi = rest.find(';');
    std::string_view pair = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') {
      pair.remove_prefix(1);
    }
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace mitsu::api
