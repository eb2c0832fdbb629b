#include "analysis/sandbox/strace_parser.h"

#include <cctype>
#include <charconv>

namespace mitsu::analysis::sandbox {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

std::optional<Syscall> parse_strace_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  Syscall s;
  auto [after_pid, ec] = std::from_chars(line.data(), line.data() + line.size(), s.pid);
  if (ec != std::errc() || s.pid <= 0) {
    return std::nullopt;
  }
  std::size_t at = static_cast<std::size_t>(after_pid - line.data());
  if (at >= line.size() || line[at] != ' ') {
    return std::nullopt;
  }
  ++at;
  std::size_t name_start = at;
  while (at < line.size() && is_name_char(line[at])) {
    ++at;
  }
  if (at == name_start || at >= line.size() || line[at] != '(') {
    return std::nullopt;
  }
  s.name = std::string(line.substr(name_start, at - name_start));
  ++at;
  // Arguments up to the matching parenthesis, outside quoted strings.
  int depth = 1;
  std::size_t args_start = at;
  bool quoted = false;
  std::string current;
  for (; at < line.size() && depth > 0; ++at) {
    char c = line[at];
    if (quoted) {
      if (c == '\\' && at + 1 < line.size()) {
        char e = line[++at];
        current += e == 'n' ? '\n' : e == 't' ? '\t' : e == '0' ? '\0' : e;
      } else if (c == '"') {
        quoted = false;
        s.strings.push_back(std::move(current));
        current.clear();
      } else {
        current += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(' || c == '{') {
      ++depth;
    } else if (c == ')' || c == '}') {
      --depth;
    }
  }
  if (depth > 0) {
    s.args = std::string(line.substr(args_start));
    return s;  // cut off: no result
  }
  s.args = std::string(line.substr(args_start, at - 1 - args_start));
  // The result follows the arguments directly; anything else is another process's output.
  std::string_view rest = line.substr(at);
  if (!rest.starts_with(" = ")) {
    return s;
  }
  rest.remove_prefix(3);
  std::int64_t value = 0;
  bool hex = rest.starts_with("0x");
  const char* begin = rest.data() + (hex ? 2 : 0);
  auto [end, vec] = std::from_chars(begin, rest.data() + rest.size(), value, hex ? 16 : 10);
  if (vec == std::errc()) {
    s.result = value;
  }
  if (std::size_t e = rest.find("errno="); e != std::string_view::npos) {
    int err = 0;
    std::from_chars(rest.data() + e + 6, rest.data() + rest.size(), err);
    s.error = err;
    std::size_t open = rest.find('(', e);
    std::size_t close = rest.rfind(')');
    if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
      s.error_text = std::string(rest.substr(open + 1, close - open - 1));
    }
  }
  return s;
}

std::vector<Syscall> parse_strace_calls(std::string_view line) {
  std::vector<Syscall> out;
  while (true) {
    auto call = parse_strace_line(line);
    if (!call) {
      return out;
    }
    // Look for a glued call: digits right after a ')' that parse as a call of their own.
    std::size_t glued = std::string_view::npos;
    if (!call->result) {
      for (std::size_t i = 1; i < line.size(); ++i) {
        if (line[i - 1] == ')' && std::isdigit(static_cast<unsigned char>(line[i])) &&
            parse_strace_line(line.substr(i))) {
          glued = i;
          break;
        }
      }
    }
    if (glued == std::string_view::npos) {
      out.push_back(std::move(*call));
      return out;
    }
    // The first call ends where the glued one starts.
    std::string_view first = line.substr(0, glued);
    auto head = parse_strace_line(first);
    if (head) {
      out.push_back(std::move(*head));
    }
    line.remove_prefix(glued);
  }
}

}  // namespace mitsu::analysis::sandbox
