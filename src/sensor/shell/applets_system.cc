// Applets about the device and its processes: uname, ps, busybox itself, sh, grep, uptime,
// ifconfig and the small ones.

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "sensor/shell/emulated_shell.h"
#include "sensor/shell/shell_support.h"

namespace mitsu::sensor {

using namespace shell_support;

int EmulatedShell::cmd_uname(const std::vector<std::string>& argv, Io& io) {
  std::string_view uname_m = uname_machine(persona_.arch);
  std::string flags;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].size() > 1 && argv[i][0] == '-') {
      flags += argv[i].substr(1);
    }
  }
  if (flags.empty()) {
    flags = "s";
  }
  if (flags.find('a') != std::string::npos) {
    io.out += fmt::format("Linux {} {} {} {} GNU/Linux\n", persona_.hostname,
                          persona_.kernel_release, persona_.kernel_version, uname_m);
    return 0;
  }
  std::vector<std::string> parts;
  if (flags.find('s') != std::string::npos)
    parts.emplace_back("Linux");
  if (flags.find('n') != std::string::npos)
    parts.push_back(persona_.hostname);
  if (flags.find('r') != std::string::npos)
    parts.push_back(persona_.kernel_release);
  if (flags.find('v') != std::string::npos)
    parts.push_back(persona_.kernel_version);
  if (flags.find('m') != std::string::npos || flags.find('p') != std::string::npos) {
    parts.emplace_back(uname_m);
  }
  if (flags.find('o') != std::string::npos)
    parts.emplace_back("GNU/Linux");
  io.out += fmt::format("{}\n", fmt::join(parts, " "));
  return 0;
}

int EmulatedShell::cmd_ps(Io& io) {
  io.out +=
      "  PID USER       VSZ STAT COMMAND\n"
      "    1 root      1532 S    init\n"
      "    2 root         0 SW   [kthreadd]\n"
      "    3 root         0 SW   [ksoftirqd/0]\n"
      "  412 root      1528 S    /sbin/syslogd -n\n"
      "  436 root      1532 S    /usr/sbin/telnetd -F\n";
  io.out += fmt::format("  502 root      4212 S    /usr/bin/{}\n",
                        persona_.device_type == "camera" ? "ipcam" : "devmgr");
  io.out += "  688 root      1540 S    -sh\n  731 root      1532 R    ps\n";
  return 0;
}

int EmulatedShell::cmd_busybox(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome,
                               int depth) {
  if (argv.size() == 1) {
    io.out += fmt::format(
        "BusyBox v{} (2016-02-16 11:25:09 CST) multi-call binary.\n"
        "BusyBox is copyrighted by many authors between 1998-2012.\n"
        "Licensed under GPLv2. See source distribution for detailed\ncopyright notices.\n\n"
        "Usage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n"
        "   or: function [arguments]...\n\n"
        "\tBusyBox is a multi-call binary that combines many common Unix\n"
        "\tutilities into a single executable.  Most people will create a\n"
        "\tlink to busybox for each function they wish to use and BusyBox\n"
        "\twill act like whatever it was invoked as.\n\nCurrently defined functions:\n\t{}\n\n",
        persona_.busybox_version, busybox_list());
    return 0;
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  const Applet* applet = find_applet(rest[0]);
  if (applet == nullptr || !applet->busybox) {
    io.err += rest[0] + ": applet not found\n";
    return 127;
  }
  return applet->run(*this, rest, io, outcome, depth);
}

int EmulatedShell::cmd_sh(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome,
                          int depth) {
  std::string applet = base_name(argv[0]);
  if (argv.size() == 1) {
    if (!io.input.empty()) {
      return run_script(io.input, outcome, depth);  // "… | sh"
    }
    return 0;  // a new interactive shell looks the same
  }
  if (argv[1] == "-c" && argv.size() > 2) {
    if (depth < kMaxScriptDepth) {
      run_line_into(argv[2], outcome, depth + 1);
    }
    return 0;
  }
  const auto* node = fs_.find(path(argv[1]));
  if (node == nullptr || node->directory) {
    io.err += fmt::format("{}: can't open '{}': No such file or directory\n", applet, argv[1]);
    return 2;
  }
  if (node->attacker_written) {
    outcome.executed.push_back(path(argv[1]));
  }
  return run_script(std::string(node->content), outcome, depth);
}

int EmulatedShell::cmd_grep(const std::vector<std::string>& argv, Io& io) {
  std::string pattern;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i].empty() || argv[i].front() != '-') {
      pattern = argv[i];
      break;
    }
  }
  std::size_t pos = 0;
  int matched = 0;
  while (pos < io.input.size()) {
    std::size_t end = io.input.find('\n', pos);
    std::string_view line = std::string_view(io.input).substr(
        pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? io.input.size() : end + 1;
    if (line.find(pattern) != std::string_view::npos) {
      io.out.append(line).append("\n");
      ++matched;
    }
  }
  return matched > 0 ? 0 : 1;
}

int EmulatedShell::cmd_uptime(Io& io) {
  // The persona's per-sensor uptime, advancing with the clock.
  std::int64_t up = std::max<std::int64_t>(0, -persona_.boot_time_s) + (now_s_ - started_s_);
  std::int64_t of_day = (started_s_ + up) % 86400;
  io.out += fmt::format(
      " {:02}:{:02}:{:02} up {} days, {:2}:{:02},  load average: 0.00, 0.01, "
      "0.05\n",
      of_day / 3600, of_day % 3600 / 60, of_day % 60, up / 86400, up % 86400 / 3600,
      up % 3600 / 60);
  return 0;
}

int EmulatedShell::cmd_date(Io& io) {
  std::time_t now = static_cast<std::time_t>(now_s_);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  std::strftime(text, sizeof(text), "%a %b %e %H:%M:%S UTC %Y\n", &utc);
  io.out += text;
  return 0;
}

int EmulatedShell::cmd_ifconfig(Io& io) {
  io.out += fmt::format(
      "eth0      Link encap:Ethernet  HWaddr {}\n"
      "          inet addr:192.168.1.10  Bcast:192.168.1.255  Mask:255.255.255.0\n"
      "          UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n\n"
      "lo        Link encap:Local Loopback\n"
      "          inet addr:127.0.0.1  Mask:255.0.0.0\n"
      "          UP LOOPBACK RUNNING  MTU:65536  Metric:1\n",
      persona_.mac.empty() ? "00:12:34:56:78:9A" : persona_.mac);
  return 0;
}

}  // namespace mitsu::sensor
