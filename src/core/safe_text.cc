#include "core/safe_text.h"

#include <fmt/format.h>

#include <cstdint>
#include <vector>

namespace mitsu {
namespace {

// Length of the well-formed UTF-8 sequence at bytes[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 when the byte there does not start one.
std::size_t sequence_at(std::string_view bytes, std::size_t i, char32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(bytes[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t n;
  char32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (bytes.size() - i < n) {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

void append_hex_byte(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

// Code points a terminal acts on rather than shows, or that reorder what it shows.
bool is_terminal_control(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

struct RawBytes {
  std::vector<std::pair<std::string, std::string>> entries;  // pointer -> base64
};

bool fix_strings(nlohmann::json& node, const std::string& pointer, RawBytes& raw) {
  bool changed = false;
  if (node.is_string()) {
    std::string& text = node.get_ref<std::string&>();
    if (!is_valid_utf8(text)) {
      raw.entries.emplace_back(pointer, base64_encode(text));
      text = escape_invalid_utf8(text);
      changed = true;
    }
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      changed |= fix_strings(node[i], pointer + "/" + std::to_string(i), raw);
    }
  } else if (node.is_object()) {
    std::vector<std::string> bad_keys;
    for (auto& [key, value] : node.items()) {
      if (!is_valid_utf8(key)) {
        bad_keys.push_back(key);
      }
    }
    for (const std::string& key : bad_keys) {
      std::string fixed = escape_invalid_utf8(key);
      nlohmann::json value = std::move(node[key]);
      node.erase(key);
      raw.entries.emplace_back(pointer + "/" + escape_pointer_token(fixed) + "#key",
                               base64_encode(key));
      node[fixed] = std::move(value);
      changed = true;
    }
    for (auto& [key, value] : node.items()) {
      changed |= fix_strings(value, pointer + "/" + escape_pointer_token(key), raw);
    }
  }
  return changed;
}

bool needs_fixing(const nlohmann::json& node) {
  if (node.is_string()) {
    return !is_valid_utf8(node.get_ref<const std::string&>());
  }
  if (node.is_array()) {
    for (const auto& item : node) {
      if (needs_fixing(item)) {
        return true;
      }
    }
  } else if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (!is_valid_utf8(key) || needs_fixing(value)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  char32_t cp;
  for (std::size_t i = 0; i < bytes.size();) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = sequence_at(bytes, i, cp);
    if (n == 0) {
      return false;
    }
    i += n;
  }
  return true;
}

std::string escape_invalid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 8);
  char32_t cp;
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t n = sequence_at(bytes, i, cp);
    if (n == 0) {
      append_hex_byte(out, static_cast<unsigned char>(bytes[i]));
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string terminal_safe(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  char32_t cp;
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t n = sequence_at(bytes, i, cp);
    if (n == 0) {
      append_hex_byte(out, static_cast<unsigned char>(bytes[i]));
      ++i;
      continue;
    }
    if (!is_terminal_control(cp)) {
      out.append(bytes.substr(i, n));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == 0x1B) {
      out += "\\e";
    } else if (cp < 0x80) {
      append_hex_byte(out, static_cast<unsigned char>(cp));
    } else {
      out += fmt::format("\\u{{{:04x}}}", static_cast<std::uint32_t>(cp));
    }
    i += n;
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift : {18, 12, 6, 0}) {
      out += kAlphabet[(v >> shift) & 63];
    }
  }
  if (std::size_t left = bytes.size() - i; left > 0) {
    std::uint32_t v = at(i) << 16 | (left == 2 ? at(i + 1) << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += left == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    const char* at = std::char_traits<char>::find(kAlphabet, 64, c);
    if (at == nullptr || padding > 0) {
      return false;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(at - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return padding <= 2;
}

bool make_valid_utf8(nlohmann::json& doc, std::string_view raw_at) {
  RawBytes raw;
  if (!fix_strings(doc, "", raw)) {
    return false;
  }
  if (doc.is_object() && !raw_at.empty()) {
    try {
      nlohmann::json& holder = doc[nlohmann::json::json_pointer(std::string(raw_at))];
      if (!holder.is_object()) {
        holder = nlohmann::json::object();
      }
      for (auto& [pointer, encoded] : raw.entries) {
        holder[pointer] = std::move(encoded);
      }
    } catch (const nlohmann::json::exception&) {
      // raw_at names a path through a non-object: the text stays valid, the originals are lost.
    }
  }
  return true;
}

std::string dump_json(const nlohmann::json& doc, int indent, std::string_view raw_at, bool ascii) {
  // The replace handler is only a second wall: valid text never needs it.
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  if (!needs_fixing(doc)) {
    return doc.dump(indent, ' ', ascii, kReplace);
  }
  nlohmann::json copy = doc;
  make_valid_utf8(copy, raw_at);
  return copy.dump(indent, ' ', ascii, kReplace);
}

}  // namespace mitsu
