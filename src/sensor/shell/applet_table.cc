// The applets the emulated shell answers: one table, so what runs and what `busybox` lists are
// the same set. Applets without behaviour of their own succeed silently, as on a device where
// they have nothing to say to a bot (kill, sync, mount …).

#include <fmt/format.h>

#include <algorithm>

#include "sensor/shell/emulated_shell.h"
#include "sensor/shell/shell_support.h"

namespace mitsu::sensor {

using namespace shell_support;

// Shell builtins and what busybox shells accept from bots ("enable", "system", "shell" are router
// CLI words bots send first); `busybox` does not list them.
std::vector<EmulatedShell::Applet> EmulatedShell::builtin_applets() {
  using Args = std::vector<std::string>;
  auto quiet = [](EmulatedShell&, const Args&, Io&, ShellOutcome&, int) { return 0; };
  return {
      {"enable", false, quiet},
      {"system", false, quiet},
      {"shell", false, quiet},
      {"linuxshell", false, quiet},
      {"start", false, quiet},
      {":", false, quiet},
      {"ulimit", false, quiet},
      {"export", false, quiet},
      {"unset", false, quiet},
      {"trap", false, quiet},
      {"iptables", false, quiet},
      {"bash", false,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome& o, int d) {
         return s.cmd_sh(a, io, o, d);
       }},
      {"cd", false,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) { return s.cmd_cd(a, io); }},
      {"exit", false,
       [](EmulatedShell&, const Args&, Io&, ShellOutcome& o, int) {
         o.exit = true;
         return 0;
       }},
      {"logout", false,
       [](EmulatedShell&, const Args&, Io&, ShellOutcome& o, int) {
         o.exit = true;
         return 0;
       }},
      {"history", false,
       [](EmulatedShell& s, const Args&, Io& io, ShellOutcome&, int) {
         for (std::size_t i = 0; i < s.history_.size(); ++i) {
           io.out += fmt::format("{:5}  {}\n", i, s.history_[i]);
         }
         return 0;
       }},
      {"curl", false,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome& o, int) {
         return s.cmd_curl(a, io, o);
       }},
  };
}

std::vector<EmulatedShell::Applet> EmulatedShell::busybox_applets_a_to_l() {
  using Args = std::vector<std::string>;
  auto quiet = [](EmulatedShell&, const Args&, Io&, ShellOutcome&, int) { return 0; };
  return {
      {"[", true, quiet},
      {"[[", true, quiet},
      {"ash", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome& o, int d) {
         return s.cmd_sh(a, io, o, d);
       }},
      {"awk", true, quiet},
      {"basename", true,
       [](EmulatedShell&, const Args& a, Io& io, ShellOutcome&, int) {
         if (a.size() < 2) {
           io.err += "basename: missing operand\n";
           return 1;
         }
         io.out += base_name(a[1]) + "\n";
         return 0;
       }},
      {"busybox", false,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome& o, int d) {
         return s.cmd_busybox(a, io, o, d);
       }},
      {"cat", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_cat(a, io);
       }},
      {"chmod", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_chmod(a, io);
       }},
      {"chown", true, quiet},
      {"cp", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_cp_mv(a, io, false);
       }},
      {"cut", true, quiet},
      {"date", true,
       [](EmulatedShell& s, const Args&, Io& io, ShellOutcome&, int) { return s.cmd_date(io); }},
      {"dd", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) { return s.cmd_dd(a, io); }},
      {"df", true, quiet},
      {"dmesg", true, quiet},
      {"echo", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_echo(a, io);
       }},
      {"egrep", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_grep(a, io);
       }},
      {"env", true, quiet},
      {"expr", true, quiet},
      {"false", true, [](EmulatedShell&, const Args&, Io&, ShellOutcome&, int) { return 1; }},
      {"fgrep", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_grep(a, io);
       }},
      {"free", true, quiet},
      {"ftpget", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome& o, int) {
         return s.cmd_ftpget(a, io, o);
       }},
      {"ftpput", true, quiet},
      {"grep", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_grep(a, io);
       }},
      {"head", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_head(a, io);
       }},
      {"hostname", true,
       [](EmulatedShell& s, const Args&, Io& io, ShellOutcome&, int) {
         io.out += s.persona_.hostname + "\n";
         return 0;
       }},
      {"id", true,
       [](EmulatedShell&, const Args&, Io& io, ShellOutcome&, int) {
         io.out += "uid=0(root) gid=0(root)\n";
         return 0;
       }},
      {"ifconfig", true,
       [](EmulatedShell& s, const Args&, Io& io, ShellOutcome&, int) {
         return s.cmd_ifconfig(io);
       }},
      {"init", true, quiet},
      {"kill", true, quiet},
      {"killall", true, quiet},
      {"ln", true, quiet},
      {"login", true, quiet},
      {"ls", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) { return s.cmd_ls(a, io); }},
  };
}

std::vector<EmulatedShell::Applet> EmulatedShell::busybox_applets_m_to_z() {
  using Args = std::vector<std::string>;
  auto quiet = [](EmulatedShell&, const Args&, Io&, ShellOutcome&, int) { return 0; };
  return {
      {"mkdir", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_mkdir(a, io);
       }},
      {"mount", true, quiet},
      {"mv", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_cp_mv(a, io, true);
       }},
      {"netstat", true, quiet},
      {"nproc", true,
       [](EmulatedShell& s, const Args&, Io& io, ShellOutcome&, int) {
         io.out += fmt::format("{}\n", std::max(1, s.persona_.cpu_cores));
         return 0;
       }},
      {"passwd", true, quiet},
      {"ping", true, quiet},
      {"pkill", true, quiet},
      {"printf", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_printf(a, io);
       }},
      {"ps", true,
       [](EmulatedShell& s, const Args&, Io& io, ShellOutcome&, int) { return s.cmd_ps(io); }},
      {"pwd", true,
       [](EmulatedShell& s, const Args&, Io& io, ShellOutcome&, int) {
         io.out += s.cwd_ + "\n";
         return 0;
       }},
      {"reboot", true, quiet},
      {"rm", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) { return s.cmd_rm(a, io); }},
      {"route", true, quiet},
      {"sed", true, quiet},
      {"sh", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome& o, int d) {
         return s.cmd_sh(a, io, o, d);
       }},
      {"sleep", true, quiet},
      {"sync", true, quiet},
      {"tail", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_tail(a, io);
       }},
      {"telnetd", true, quiet},
      {"test", true, quiet},
      {"tftp", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome& o, int) {
         return s.cmd_tftp(a, io, o);
       }},
      {"top", true, quiet},
      {"touch", true,
       [](EmulatedShell& s, const Args& a, Io&, ShellOutcome&, int) {
         for (std::size_t i = 1; i < a.size(); ++i) {
           if (!a[i].empty() && a[i].front() != '-' && s.fs_.find(s.path(a[i])) == nullptr) {
             (void)s.fs_.write(s.path(a[i]), "", true);
           }
         }
         return 0;
       }},
      {"true", true, quiet},
      {"udhcpc", true, quiet},
      {"umount", true, quiet},
      {"uname", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome&, int) {
         return s.cmd_uname(a, io);
       }},
      {"uptime", true,
       [](EmulatedShell& s, const Args&, Io& io, ShellOutcome&, int) { return s.cmd_uptime(io); }},
      {"vi", true, quiet},
      {"wc", true,
       [](EmulatedShell&, const Args&, Io& io, ShellOutcome&, int) {
         io.out += fmt::format("{}\n", std::count(io.input.begin(), io.input.end(), '\n'));
         return 0;
       }},
      {"wget", true,
       [](EmulatedShell& s, const Args& a, Io& io, ShellOutcome& o, int) {
         return s.cmd_wget(a, io, o);
       }},
      {"whoami", true,
       [](EmulatedShell&, const Args&, Io& io, ShellOutcome&, int) {
         io.out += "root\n";
         return 0;
       }},
  };
}

const std::vector<EmulatedShell::Applet>& EmulatedShell::applets() {
  static const std::vector<Applet> table = [] {
    std::vector<Applet> all = builtin_applets();
    for (auto part : {busybox_applets_a_to_l(), busybox_applets_m_to_z()}) {
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return table;
}

const EmulatedShell::Applet* EmulatedShell::find_applet(std::string_view name) {
  for (const Applet& applet : applets()) {
    if (applet.name == name) {
      return &applet;
    }
  }
  return nullptr;
}

std::string EmulatedShell::busybox_list() {
  std::vector<std::string_view> names;
  for (const Applet& applet : applets()) {
    if (applet.busybox) {
      names.push_back(applet.name);
    }
  }
  std::sort(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace mitsu::sensor
