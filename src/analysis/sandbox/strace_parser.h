#pragma once
// Reads QEMU user-mode's `-strace` output: one line per guest syscall, prefixed with the host pid
// of the (forked) process. Pointers are printed raw; quoted strings (paths) are decoded. A line
// cut by another process's output is kept without its result.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mitsu::analysis::sandbox {

struct Syscall {
  int pid = 0;
  std::string name;
  std::string args;                  // as printed, without the parentheses
  std::vector<std::string> strings;  // the quoted arguments, unescaped
  std::optional<std::int64_t> result;
  int error = 0;           // errno when the call failed (numbers differ between CPUs)
  std::string error_text;  // QEMU's text for it, e.g. "Connection refused"
};

// Parses one line; nullopt when it is not a syscall line (a sample's own stderr, qemu noise).
std::optional<Syscall> parse_strace_line(std::string_view line);

// Every call on a line: a blocking call printed without its result can have another process's
// call glued to it ("2 wait4(4,…)4 prctl(15,…) = 0"); both are returned, the first without a
// result.
std::vector<Syscall> parse_strace_calls(std::string_view line);

}  // namespace mitsu::analysis::sandbox
