// Applets over the session's filesystem: cat, echo, printf, ls, cd, rm, cp, mv, chmod, mkdir, dd,
// head, tail.

#include <fmt/format.h>

#include <algorithm>

#include "sensor/shell/emulated_shell.h"
#include "sensor/shell/shell_support.h"

namespace mitsu::sensor {

using namespace shell_support;

int EmulatedShell::cmd_cat(const std::vector<std::string>& argv, Io& io) {
  if (argv.size() == 1) {
    io.out += io.input;
    return 0;
  }
  int status = 0;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == "-") {
      io.out += io.input;
      continue;
    }
    const auto* node = fs_.find(path(argv[i]));
    if (node == nullptr) {
      io.err += fmt::format("cat: can't open '{}': No such file or directory\n", argv[i]);
      status = 1;
    } else if (node->directory) {
      io.err += fmt::format("cat: read error: Is a directory\n");
      status = 1;
    } else {
      io.out += node->content;
    }
  }
  return status;
}

int EmulatedShell::cmd_echo(const std::vector<std::string>& argv, Io& io) {
  bool newline = true;
  bool escapes = false;
  std::size_t i = 1;
  // busybox echo takes -n, -e, -E and their combinations ("-ne") before the first word.
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 2 || a[0] != '-' || a.find_first_not_of("neE", 1) != std::string::npos) {
      break;
    }
    for (char f : a.substr(1)) {
      newline = newline && f != 'n';
      escapes = f == 'e' ? true : f == 'E' ? false : escapes;
    }
  }
  std::string text;
  bool keep_going = true;
  for (std::size_t k = i; k < argv.size() && keep_going; ++k) {
    if (k > i) {
      text += ' ';
    }
    if (escapes) {
      keep_going = decode_escapes(argv[k], text, false);
    } else {
      text += argv[k];
    }
  }
  if (newline && keep_going) {
    text += '\n';
  }
  io.out += text;
  return 0;
}

int EmulatedShell::cmd_printf(const std::vector<std::string>& argv, Io& io) {
  if (argv.size() < 2) {
    io.err += "printf: usage: printf FORMAT [ARGUMENT...]\n";
    return 1;
  }
  std::string_view format = argv[1];
  std::size_t next = 2;
  auto arg = [&]() -> std::string { return next < argv.size() ? argv[next++] : std::string(); };
  // The format is reused while arguments remain, as printf(1) does.
  do {
    std::string out;
    for (std::size_t i = 0; i < format.size(); ++i) {
      char c = format[i];
      if (c == '\\') {
        bool stop = false;
        i += decode_escape_at(format, i, out, true, stop) - 1;
        if (stop) {
          io.out += out;
          return 0;
        }
        continue;
      }
      if (c != '%' || i + 1 == format.size()) {
        out += c;
        continue;
      }
      char spec = format[++i];
      switch (spec) {
        case '%':
          out += '%';
          break;
        case 's':
          out += arg();
          break;
        case 'b':
          decode_escapes(arg(), out, false);
          break;
        case 'c': {
          std::string a = arg();
          if (!a.empty()) {
            out += a[0];
          }
          break;
        }
        case 'd':
        case 'i':
        case 'u':
          out += std::to_string(to_number(arg()).value_or(0));
          break;
        case 'x':
          out += fmt::format("{:x}", to_number(arg()).value_or(0));
          break;
        default:
          out += '%';
          out += spec;
      }
    }
    io.out += out;
  } while (next > 2 && next < argv.size());
  return 0;
}

int EmulatedShell::cmd_ls(const std::vector<std::string>& argv, Io& io) {
  bool long_format = false;
  std::vector<std::string> targets;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].size() > 1 && argv[i][0] == '-') {
      long_format = long_format || argv[i].find('l') != std::string::npos;
    } else {
      targets.push_back(argv[i]);
    }
  }
  if (targets.empty()) {
    targets.push_back(".");
  }
  int status = 0;
  for (const std::string& t : targets) {
    std::string p = path(t);
    const auto* node = fs_.find(p);
    if (node == nullptr) {
      io.err += fmt::format("ls: {}: No such file or directory\n", t);
      status = 1;
      continue;
    }
    std::vector<std::string> names = node->directory ? fs_.list(p) : std::vector{t};
    for (const std::string& n : names) {
      if (!long_format) {
        io.out += n + "\n";
        continue;
      }
      const auto* entry = node->directory ? fs_.find(FakeFilesystem::resolve(p, n)) : node;
      std::string perms = entry->directory ? "d" : "-";
      for (int shift = 6; shift >= 0; shift -= 3) {
        std::uint32_t bits = (entry->mode >> shift) & 7;
        perms += (bits & 4) ? 'r' : '-';
        perms += (bits & 2) ? 'w' : '-';
        perms += (bits & 1) ? 'x' : '-';
      }
      io.out += fmt::format("{} {:>4} root     root     {:>8} Jan  1 00:00 {}\n", perms,
                            entry->directory ? 2 : 1, entry->content.size(), n);
    }
  }
  return status;
}

int EmulatedShell::cmd_cd(const std::vector<std::string>& argv, Io& io) {
  std::string target = argv.size() > 1 ? path(argv[1]) : "/root";
  if (!fs_.is_directory(target)) {
    io.err += fmt::format("{}: cd: can't cd to {}: No such file or directory\n",
                          persona_.shell_name, argv.size() > 1 ? argv[1] : "/root");
    return 2;
  }
  cwd_ = target;
  return 0;
}

int EmulatedShell::cmd_rm(const std::vector<std::string>& argv, Io& io) {
  bool recursive = false;
  bool force = false;
  int status = 0;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].size() > 1 && argv[i][0] == '-') {
      recursive = recursive || argv[i].find_first_of("rR") != std::string::npos;
      force = force || argv[i].find('f') != std::string::npos;
      continue;
    }
    std::string p = path(argv[i]);
    const auto* node = fs_.find(p);
    if (node == nullptr) {
      if (!force) {
        io.err += fmt::format("rm: can't remove '{}': No such file or directory\n", argv[i]);
        status = 1;
      }
    } else if (node->directory && !recursive) {
      io.err += fmt::format("rm: '{}' is a directory\n", argv[i]);
      status = 1;
    } else if (node->attacker_written || node->directory) {
      fs_.remove(p, recursive);
    }
    // Persona files stay: the read-only root of a real device would refuse, silently with -f.
  }
  return status;
}

int EmulatedShell::cmd_cp_mv(const std::vector<std::string>& argv, Io& io, bool move) {
  std::vector<std::string> operands;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].empty() || argv[i][0] != '-') {
      operands.push_back(argv[i]);
    }
  }
  std::string_view tool = move ? "mv" : "cp";
  if (operands.size() < 2) {
    io.err += fmt::format("BusyBox v{} multi-call binary.\n\nUsage: {} [OPTIONS] SOURCE DEST\n",
                          persona_.busybox_version, tool);
    return 1;
  }
  std::string destination = path(operands.back());
  int status = 0;
  for (std::size_t i = 0; i + 1 < operands.size(); ++i) {
    std::string source = path(operands[i]);
    const auto* node = fs_.find(source);
    if (node == nullptr || node->directory) {
      io.err += fmt::format("{}: can't stat '{}': No such file or directory\n", tool, operands[i]);
      status = 1;
      continue;
    }
    std::string target = fs_.is_directory(destination)
                             ? FakeFilesystem::resolve(destination, base_name(source))
                             : destination;
    std::string content = node->content;
    std::uint32_t mode = node->mode;
    if (fs_.write(target, content, false) != FakeFilesystem::WriteError::kNone) {
      io.err +=
          fmt::format("{}: can't create '{}': No such file or directory\n", tool, operands.back());
      status = 1;
      continue;
    }
    fs_.chmod(target, mode);
    if (move && fs_.find(source)->attacker_written) {
      fs_.remove(source, false);
    }
  }
  return status;
}

int EmulatedShell::cmd_chmod(const std::vector<std::string>& argv, Io& io) {
  if (argv.size() < 3) {
    io.err += "chmod: missing operand\n";
    return 1;
  }
  std::size_t first = 1;
  while (first < argv.size() && argv[first].size() > 1 && argv[first][0] == '-' &&
         argv[first].find_first_not_of("-R") == std::string::npos) {
    ++first;
  }
  if (first + 1 >= argv.size()) {
    io.err += "chmod: missing operand\n";
    return 1;
  }
  const std::string& mode_text = argv[first];
  int status = 0;
  for (std::size_t i = first + 1; i < argv.size(); ++i) {
    std::string p = path(argv[i]);
    const auto* node = fs_.find(p);
    if (node == nullptr) {
      io.err += fmt::format("chmod: {}: No such file or directory\n", argv[i]);
      status = 1;
      continue;
    }
    std::uint32_t mode = node->mode;
    if (auto octal = std::strtoul(mode_text.c_str(), nullptr, 8);
        mode_text.find_first_not_of("01234567") == std::string::npos) {
      mode = static_cast<std::uint32_t>(octal) & 07777;
    } else if (mode_text.find("+x") != std::string::npos) {
      mode |= 0111;
    } else if (mode_text.find("-x") != std::string::npos) {
      mode &= ~0111u;
    }
    fs_.chmod(p, mode);
  }
  return status;
}

int EmulatedShell::cmd_mkdir(const std::vector<std::string>& argv, Io& io) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i][0] == '-') {
      continue;
    }
    std::string p = path(argv[i]);
    if (fs_.find(p) != nullptr) {
      io.err += fmt::format("mkdir: can't create directory '{}': File exists\n", argv[i]);
      return 1;
    }
    fs_.add_directory(p);
  }
  return 0;
}

int EmulatedShell::cmd_dd(const std::vector<std::string>& argv, Io& io) {
  std::string input = io.input;
  std::string output_file;
  long block = 512;
  long count = -1;
  long skip = 0;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    std::string_view a = argv[i];
    std::size_t eq = a.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    std::string_view key = a.substr(0, eq);
    std::string_view value = a.substr(eq + 1);
    if (key == "if") {
      const auto* node = fs_.find(path(value));
      if (node == nullptr) {
        io.err += fmt::format("dd: can't open '{}': No such file or directory\n", value);
        return 1;
      }
      input = node->content;
    } else if (key == "of") {
      output_file = path(value);
    } else if (key == "bs") {
      block = std::max(1L, to_number(value).value_or(512));
    } else if (key == "count") {
      count = to_number(value).value_or(-1);
    } else if (key == "skip") {
      skip = to_number(value).value_or(0);
    }
  }
  auto start =
      static_cast<std::size_t>(std::min<long>(skip * block, static_cast<long>(input.size())));
  std::string data = input.substr(start);
  if (count >= 0) {
    data = data.substr(0, static_cast<std::size_t>(count * block));
  }
  std::size_t full = data.size() / static_cast<std::size_t>(block);
  std::size_t partial = data.size() % static_cast<std::size_t>(block) ? 1 : 0;
  if (!output_file.empty()) {
    (void)fs_.write(output_file, data, false);
  } else {
    io.out += data;
  }
  io.err += fmt::format("{}+{} records in\n{}+{} records out\n", full, partial, full, partial);
  return 0;
}

// head and tail read the same arguments: -n N, -c N, -N, and files (the last one wins).
bool EmulatedShell::read_head_tail_args(const std::vector<std::string>& argv, Io& io,
                                        std::string_view name, long& lines, long& bytes,
                                        std::string& input) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if ((a == "-n" || a == "-c") && i + 1 < argv.size()) {
      (a == "-n" ? lines : bytes) = to_number(argv[++i]).value_or(10);
    } else if (a.size() > 1 && a[0] == '-' && to_number(a.substr(1))) {
      lines = *to_number(a.substr(1));
    } else {
      const auto* node = fs_.find(path(a));
      if (node == nullptr) {
        io.err += fmt::format("{}: can't open '{}': No such file or directory\n", name, a);
        return false;
      }
      input = node->content;
    }
  }
  return true;
}

int EmulatedShell::cmd_head(const std::vector<std::string>& argv, Io& io) {
  long lines = 10;
  long bytes = -1;
  std::string input = io.input;
  if (!read_head_tail_args(argv, io, "head", lines, bytes, input)) {
    return 1;
  }
  if (bytes >= 0) {
    io.out += input.substr(0, static_cast<std::size_t>(bytes));
    return 0;
  }
  std::size_t pos = 0;
  for (long n = 0; n < lines && pos < input.size(); ++n) {
    std::size_t end = input.find('\n', pos);
    pos = end == std::string::npos ? input.size() : end + 1;
  }
  io.out += input.substr(0, pos);
  return 0;
}

// Last lines (-n, default 10) or bytes (-c) of a file or of stdin.
int EmulatedShell::cmd_tail(const std::vector<std::string>& argv, Io& io) {
  long lines = 10;
  long bytes = -1;
  std::string input = io.input;
  if (!read_head_tail_args(argv, io, "tail", lines, bytes, input)) {
    return 1;
  }
  if (bytes >= 0) {
    std::size_t keep = std::min(input.size(), static_cast<std::size_t>(bytes));
    io.out += input.substr(input.size() - keep);
    return 0;
  }
  std::vector<std::string_view> all;  // each with its line end
  std::string_view text(input);
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    end = end == std::string_view::npos ? text.size() : end + 1;
    all.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  std::size_t keep = std::min(all.size(), static_cast<std::size_t>(std::max(0L, lines)));
  for (std::size_t i = all.size() - keep; i < all.size(); ++i) {
    io.out.append(all[i]);
  }
  return 0;
}

}  // namespace mitsu::sensor
