#pragma once
// The busybox `sh` command-line grammar bots use: words with quotes and escapes, pipelines with
// `|`, lists joined by `;`, `&&`, `||` and `&`, and redirections (`>`, `>>`, `<`, `2>&1`).
// `$(...)`, backticks and `$VAR` are kept as literal text: the emulated shell runs nothing a
// substitution would need, and the command event keeps what the attacker typed.

#include <string>
#include <string_view>
#include <vector>

namespace mitsu::sensor {

struct Redirection {
  enum class Kind { kWrite, kAppend, kRead, kDuplicate };
  int fd = 1;
  Kind kind = Kind::kWrite;
  std::string target;  // a path, or the fd number for kDuplicate ("2>&1" → "1")
};

struct SimpleCommand {
  std::vector<std::string> argv;
  std::vector<Redirection> redirections;
};

// How a pipeline is joined to the next one.
enum class Connector { kSequence, kAnd, kOr, kBackground };

struct Pipeline {
  std::vector<SimpleCommand> commands;  // joined by '|'
  Connector then = Connector::kSequence;
};

struct ParsedLine {
  std::vector<Pipeline> pipelines;
  std::string error;  // busybox's message when the line is not valid, e.g. unterminated quote
};

inline constexpr std::size_t kMaxCommandLineBytes = 64 * 1024;
inline constexpr std::size_t kMaxWords = 4096;

// Never fails on any input: a malformed line gives `error` and the pipelines parsed before it.
ParsedLine parse_command_line(std::string_view line);

}  // namespace mitsu::sensor
