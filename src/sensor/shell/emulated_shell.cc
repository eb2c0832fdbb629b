#include "sensor/shell/emulated_shell.h"

#include <fmt/format.h>

#include <algorithm>

#include "sensor/shell/command_line.h"
#include "sensor/shell/shell_support.h"

namespace mitsu::sensor {

using namespace shell_support;

namespace {
constexpr std::size_t kMaxHistory = 1000;
}  // namespace

EmulatedShell::EmulatedShell(const DevicePersona& persona,
                             std::shared_ptr<const FakeFilesystem> base, std::int64_t now_s)
    : persona_(persona), fs_(*base), started_s_(now_s), now_s_(now_s) {}

std::string EmulatedShell::not_found(std::string_view name) const {
  return fmt::format("{}: {}: not found\n", persona_.shell_name, name);
}

ShellOutcome EmulatedShell::run(std::string_view line, std::int64_t now_s) {
  now_s_ = std::max(now_s, started_s_);
  if (history_.size() < kMaxHistory) {
    history_.emplace_back(line);
  }
  ShellOutcome outcome;
  run_line_into(line, outcome, 0);
  return outcome;
}

void EmulatedShell::deliver(const std::string& local_path, std::string_view content) {
  if (!local_path.empty()) {
    (void)fs_.write(local_path, content, false);
  }
}

void EmulatedShell::run_line_into(std::string_view line, ShellOutcome& outcome, int depth) {
  ParsedLine parsed = parse_command_line(line);
  int status = 0;
  bool skip = false;
  for (const Pipeline& pipeline : parsed.pipelines) {
    if (!skip) {
      std::string carried;  // stdout flowing into the next command of the pipeline
      for (std::size_t i = 0; i < pipeline.commands.size() && !outcome.exit; ++i) {
        const SimpleCommand& command = pipeline.commands[i];
        Io io;
        io.input = std::move(carried);
        bool out_to_terminal = i + 1 == pipeline.commands.size();
        bool err_to_out = false;
        bool err_discarded = false;
        std::string out_file;
        bool out_append = false;
        bool redirect_failed = false;
        for (const Redirection& r : command.redirections) {
          if (r.kind == Redirection::Kind::kRead) {
            const auto* node = fs_.find(path(r.target));
            if (node == nullptr || node->directory) {
              outcome.output += fmt::format("{}: can't open '{}': No such file or directory\n",
                                            persona_.shell_name, r.target);
              redirect_failed = true;
            } else {
              io.input = node->content;
            }
          } else if (r.kind == Redirection::Kind::kDuplicate) {
            err_to_out = r.fd == 2 && r.target == "1";
          } else if (r.fd == 2) {
            err_discarded = true;  // stderr to a file: kept off the terminal
          } else if (r.fd == 1) {
            out_file = path(r.target);
            out_append = r.kind == Redirection::Kind::kAppend;
          }
        }
        if (redirect_failed) {
          status = 1;
          break;
        }
        status = command.argv.empty() ? 0 : run_command(command.argv, io, outcome, depth);
        if (!out_file.empty()) {
          auto error = fs_.write(out_file, io.out, out_append);
          if (error == FakeFilesystem::WriteError::kNoDirectory) {
            outcome.output += fmt::format("{}: can't create {}: nonexistent directory\n",
                                          persona_.shell_name, out_file);
            status = 1;
          } else if (error == FakeFilesystem::WriteError::kIsDirectory) {
            outcome.output +=
                fmt::format("{}: can't create {}: Is a directory\n", persona_.shell_name, out_file);
            status = 1;
          } else if (error == FakeFilesystem::WriteError::kFull) {
            outcome.output +=
                fmt::format("{}: write error: No space left on device\n", persona_.shell_name);
            status = 1;
          }
          io.out.clear();
        }
        if (out_to_terminal) {
          outcome.output += io.out;
        } else {
          carried = std::move(io.out);
        }
        if (!err_discarded && !(err_to_out && !out_file.empty())) {
          outcome.output += io.err;  // after stdout, as `dd` and friends print their summary
        }
      }
    }
    if (outcome.exit) {
      break;
    }
    switch (pipeline.then) {
      case Connector::kAnd:
        skip = status != 0;
        break;
      case Connector::kOr:
        skip = status == 0;
        break;
      default:
        skip = false;
    }
  }
  if (!parsed.error.empty()) {
    outcome.output += parsed.error + "\n";
  }
}

int EmulatedShell::run_script(std::string_view text, ShellOutcome& outcome, int depth) {
  if (depth >= kMaxScriptDepth) {
    return 0;
  }
  std::size_t pos = 0;
  while (pos < text.size() && !outcome.exit) {
    std::size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    run_line_into(line, outcome, depth + 1);
  }
  return 0;
}

// Applets are looked up in one table (applet_table.cc), which `busybox` lists too.
int EmulatedShell::run_command(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome,
                               int depth) {
  const std::string& name = argv[0];
  bool path_to_bin = name.find('/') != std::string::npos;
  if (path_to_bin) {
    const auto* node = fs_.find(path(name));
    if (node == nullptr) {
      io.err += fmt::format("{}: {}: not found\n", persona_.shell_name, name);
      return 127;
    }
    if (node->attacker_written) {
      return run_file(path(name), argv, io, outcome, depth);
    }
  }
  if (const Applet* applet = find_applet(path_to_bin ? base_name(name) : name)) {
    return applet->run(*this, argv, io, outcome, depth);
  }
  io.err += not_found(name);
  return 127;
}

int EmulatedShell::run_file(const std::string& file, const std::vector<std::string>& argv, Io& io,
                            ShellOutcome& outcome, int depth) {
  const auto* node = fs_.find(file);
  outcome.executed.push_back(file);
  if ((node->mode & 0111) == 0) {
    io.err += fmt::format("{}: {}: Permission denied\n", persona_.shell_name, argv[0]);
    return 126;
  }
  if (node->content.starts_with("#!") || (!node->content.empty() && node->content[0] != '\x7f')) {
    return run_script(node->content, outcome, depth);
  }
  return 0;  // a binary "runs" silently; it is captured, never executed
}

}  // namespace mitsu::sensor
