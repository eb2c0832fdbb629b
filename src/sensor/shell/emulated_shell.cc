#include "sensor/shell/emulated_shell.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "sensor/shell/command_line.h"

namespace mitsu::sensor {
namespace {

constexpr int kMaxScriptDepth = 3;  // `sh file` inside `sh file` …: bots nest two at most
constexpr std::size_t kMaxHistory = 1000;

struct ElfMachine {
  std::string_view arch;
  bool is_64 = false;
  bool big_endian = false;
  std::uint16_t machine = 0;
  std::uint32_t flags = 0;
  std::string_view uname_m;
};

constexpr std::array<ElfMachine, 8> kMachines{{
    {"arm", false, false, 40, 0x05000200, "armv7l"},
    {"mips", false, true, 8, 0x00001007, "mips"},
    {"mipsel", false, false, 8, 0x00001007, "mips"},
    {"aarch64", true, false, 183, 0, "aarch64"},
    {"x86_64", true, false, 62, 0, "x86_64"},
    {"i686", false, false, 3, 0, "i686"},
    {"powerpc", false, true, 20, 0, "ppc"},
    {"sh4", false, false, 42, 0, "sh4"},
}};

const ElfMachine& machine_for(std::string_view arch) {
  for (const auto& m : kMachines) {
    if (m.arch == arch) {
      return m;
    }
  }
  return kMachines[0];
}

std::string cpuinfo(const DevicePersona& p) {
  std::string out;
  for (int cpu = 0; cpu < std::max(1, p.cpu_cores); ++cpu) {
    if (p.arch == "mips" || p.arch == "mipsel") {
      out += fmt::format(
          "system type\t\t: {}\nmachine\t\t\t: {}\nprocessor\t\t: {}\ncpu model\t\t: {}\n"
          "BogoMIPS\t\t: 385.02\nwait instruction\t: yes\nmicrosecond timers\t: yes\n"
          "tlb_entries\t\t: 32\nisa\t\t\t: mips1 mips2 mips32r1 mips32r2\n\n",
          p.model, p.model, cpu, p.cpu_model.empty() ? "MIPS 24Kc V7.4" : p.cpu_model);
    } else if (p.arch == "arm") {
      out += fmt::format(
          "processor\t: {}\nmodel name\t: {}\nBogoMIPS\t: 1196.85\n"
          "Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt\n"
          "CPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x0\nCPU part\t: 0xc07\n"
          "CPU revision\t: 5\n\n",
          cpu, p.cpu_model.empty() ? "ARMv7 Processor rev 5 (v7l)" : p.cpu_model);
    } else {
      out += fmt::format("processor\t: {}\nmodel name\t: {}\n\n", cpu,
                         p.cpu_model.empty() ? "unknown" : p.cpu_model);
    }
  }
  if (p.arch == "arm") {
    out += fmt::format("Hardware\t: {}\nRevision\t: 0000\nSerial\t\t: {}\n", p.model, p.serial);
  }
  return out;
}

void put_u16(std::string& s, std::size_t at, std::uint16_t v, bool big) {
  s[at] = static_cast<char>(big ? v >> 8 : v & 0xff);
  s[at + 1] = static_cast<char>(big ? v & 0xff : v >> 8);
}

void put_u32(std::string& s, std::size_t at, std::uint32_t v, bool big) {
  for (int i = 0; i < 4; ++i) {
    int shift = big ? 24 - 8 * i : 8 * i;
    s[at + i] = static_cast<char>((v >> shift) & 0xff);
  }
}

void put_u64(std::string& s, std::size_t at, std::uint64_t v, bool big) {
  put_u32(s, at + (big ? 4 : 0), static_cast<std::uint32_t>(v), big);
  put_u32(s, at + (big ? 0 : 4), static_cast<std::uint32_t>(v >> 32), big);
}

// One escape at text[i] == '\\' as busybox echo -e and printf decode it ("\x41", "\0101",
// "\n"; printf also takes "\101"). Appends to out, returns the bytes consumed; stop is set by
// "\c" (no further output).
std::size_t decode_escape_at(std::string_view text, std::size_t i, std::string& out,
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
bool decode_escapes(std::string_view text, std::string& out, bool printf_octal) {
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

std::string base_name(std::string_view path) {
  std::size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// "http://host:port/path" → the last path segment, or "index.html" as wget names it.
std::string file_name_of_url(std::string_view url) {
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

std::string host_of_url(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  return std::string(rest.substr(0, rest.find('/')));
}

std::optional<long> to_number(std::string_view text) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

constexpr std::string_view kApplets =
    "[, [[, ash, awk, basename, cat, chmod, chown, cp, cut, date, dd, df, dmesg, echo, egrep, "
    "env, expr, false, fgrep, free, ftpget, ftpput, grep, head, hostname, ifconfig, init, kill, "
    "killall, ln, login, ls, mkdir, mount, mv, netstat, nproc, passwd, ping, printf, ps, pwd, "
    "reboot, rm, route, sed, sh, sleep, tail, telnetd, test, tftp, top, touch, true, "
    "udhcpc, umount, uname, uptime, vi, wc, wget";

}  // namespace

std::string elf_stub(std::string_view arch) {
  const ElfMachine& m = machine_for(arch);
  const std::size_t header = m.is_64 ? 64 : 52;
  const std::size_t phdr = m.is_64 ? 56 : 32;
  std::string s(header + phdr, '\0');
  s[0] = '\x7f';
  s[1] = 'E';
  s[2] = 'L';
  s[3] = 'F';
  s[4] = m.is_64 ? 2 : 1;
  s[5] = m.big_endian ? 2 : 1;
  s[6] = 1;
  const bool big = m.big_endian;
  put_u16(s, 16, 2, big);  // ET_EXEC
  put_u16(s, 18, m.machine, big);
  put_u32(s, 20, 1, big);
  if (m.is_64) {
    put_u64(s, 24, 0x400100, big);
    put_u64(s, 32, header, big);
    put_u32(s, 48, m.flags, big);
    put_u16(s, 52, static_cast<std::uint16_t>(header), big);
    put_u16(s, 54, static_cast<std::uint16_t>(phdr), big);
    put_u16(s, 56, 1, big);
  } else {
    put_u32(s, 24, 0x400100, big);
    put_u32(s, 28, static_cast<std::uint32_t>(header), big);
    put_u32(s, 36, m.flags, big);
    put_u16(s, 40, static_cast<std::uint16_t>(header), big);
    put_u16(s, 42, static_cast<std::uint16_t>(phdr), big);
    put_u16(s, 44, 1, big);
  }
  put_u32(s, header, 1, big);  // PT_LOAD
  // A body that reads like busybox to a loader that looks further than the header.
  s += std::string(1024, '\0');
  s += "BusyBox is a multi-call binary that combines many common Unix utilities into a single "
       "executable.";
  s += std::string(256, '\0');
  return s;
}

std::shared_ptr<const FakeFilesystem> persona_filesystem(const DevicePersona& persona) {
  auto fs = std::make_shared<FakeFilesystem>();
  for (std::string_view dir : {"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/etc", "/tmp", "/var",
                               "/var/run", "/var/tmp", "/dev", "/proc", "/root", "/mnt", "/lib"}) {
    fs->add_directory(dir);
  }
  for (const std::string& dir : persona.directories) {
    fs->add_directory(dir);
  }
  std::string busybox = elf_stub(persona.arch);
  fs->add_file("/bin/busybox", busybox, 0755);
  for (std::string_view link : {"/bin/echo", "/bin/sh", "/bin/cat", "/bin/ls", "/bin/ps"}) {
    fs->add_file(link, busybox, 0755);
  }
  fs->add_file("/proc/cpuinfo", cpuinfo(persona), 0444);
  fs->add_file("/proc/mounts",
               "rootfs / rootfs rw 0 0\n/dev/root / squashfs ro,relatime 0 0\n"
               "proc /proc proc rw,relatime 0 0\nsysfs /sys sysfs rw,relatime 0 0\n"
               "tmpfs /tmp tmpfs rw,relatime 0 0\ntmpfs /var tmpfs rw,relatime 0 0\n"
               "devpts /dev/pts devpts rw,relatime,mode=600 0 0\n",
               0444);
  fs->add_file("/proc/version",
               fmt::format("Linux version {} (root@buildhost) (gcc version 4.8.3) {}\n",
                           persona.kernel_release, persona.kernel_version),
               0444);
  fs->add_file("/etc/hostname", persona.hostname + "\n", 0644);
  if (!persona.mac.empty()) {
    fs->add_file("/sys/class/net/eth0/address", persona.mac + "\n", 0444);
  }
  fs->add_file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
  fs->add_file("/dev/null", "", 0666);
  fs->add_file("/dev/watchdog", "", 0600);
  for (const PersonaFile& f : persona.files) {
    fs->add_file(f.path, f.content, f.mode);
  }
  return fs;
}

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

int EmulatedShell::run_command(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome,
                               int depth) {
  const std::string& name = argv[0];
  std::string applet = name.find('/') == std::string::npos ? name : base_name(name);
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
  if (applet == "busybox") {
    return cmd_busybox(argv, io, outcome, depth);
  }
  if (applet == "enable" || applet == "system" || applet == "shell" || applet == "linuxshell" ||
      applet == "start" || applet == ":" || applet == "true" || applet == "sleep" ||
      applet == "ulimit" || applet == "iptables" || applet == "export" || applet == "kill" ||
      applet == "killall" || applet == "pkill" || applet == "sync" || applet == "touch" ||
      applet == "ln" || applet == "unset" || applet == "trap") {
    if (applet == "touch") {
      for (std::size_t i = 1; i < argv.size(); ++i) {
        if (argv[i].front() != '-' && fs_.find(path(argv[i])) == nullptr) {
          (void)fs_.write(path(argv[i]), "", true);
        }
      }
    }
    return 0;
  }
  if (applet == "false") {
    return 1;
  }
  if (applet == "sh" || applet == "ash" || applet == "bash") {
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
  if (applet == "exit" || applet == "logout") {
    outcome.exit = true;
    return 0;
  }
  if (applet == "cat")
    return cmd_cat(argv, io);
  if (applet == "echo")
    return cmd_echo(argv, io);
  if (applet == "printf")
    return cmd_printf(argv, io);
  if (applet == "ls")
    return cmd_ls(argv, io);
  if (applet == "cd")
    return cmd_cd(argv, io);
  if (applet == "rm")
    return cmd_rm(argv, io);
  if (applet == "cp")
    return cmd_cp_mv(argv, io, false);
  if (applet == "mv")
    return cmd_cp_mv(argv, io, true);
  if (applet == "chmod")
    return cmd_chmod(argv, io);
  if (applet == "mkdir")
    return cmd_mkdir(argv, io);
  if (applet == "dd")
    return cmd_dd(argv, io);
  if (applet == "head")
    return cmd_head(argv, io);
  if (applet == "uname")
    return cmd_uname(argv, io);
  if (applet == "ps")
    return cmd_ps(io);
  if (applet == "wget")
    return cmd_wget(argv, io, outcome);
  if (applet == "curl")
    return cmd_curl(argv, io, outcome);
  if (applet == "tftp")
    return cmd_tftp(argv, io, outcome);
  if (applet == "ftpget")
    return cmd_ftpget(argv, io, outcome);
  if (applet == "pwd") {
    io.out += cwd_ + "\n";
    return 0;
  }
  if (applet == "nproc") {
    io.out += fmt::format("{}\n", std::max(1, persona_.cpu_cores));
    return 0;
  }
  if (applet == "id" || applet == "whoami") {
    io.out += applet == "id" ? "uid=0(root) gid=0(root)\n" : "root\n";
    return 0;
  }
  if (applet == "hostname") {
    io.out += persona_.hostname + "\n";
    return 0;
  }
  if (applet == "history") {
    for (std::size_t i = 0; i < history_.size(); ++i) {
      io.out += fmt::format("{:5}  {}\n", i, history_[i]);
    }
    return 0;
  }
  if (applet == "grep" || applet == "egrep" || applet == "fgrep") {
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
  if (applet == "wc") {
    io.out += fmt::format("{}\n", std::count(io.input.begin(), io.input.end(), '\n'));
    return 0;
  }
  if (applet == "uptime") {
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
  if (applet == "ifconfig") {
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
        persona_.busybox_version, kApplets);
    return 0;
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  std::string applet = rest[0];
  bool known = kApplets.find(applet) != std::string_view::npos &&
               applet.find_first_of(" ,") == std::string::npos;
  // Whole-word check: "ECCHI" must not match inside the list.
  known = known && (kApplets.starts_with(applet + ",") ||
                    kApplets.find(" " + applet + ",") != std::string_view::npos ||
                    kApplets.ends_with(" " + applet));
  if (!known) {
    io.err += applet + ": applet not found\n";
    return 127;
  }
  return run_command(rest, io, outcome, depth);
}

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

int EmulatedShell::cmd_head(const std::vector<std::string>& argv, Io& io) {
  long lines = 10;
  long bytes = -1;
  std::string input = io.input;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if ((a == "-n" || a == "-c") && i + 1 < argv.size()) {
      (a == "-n" ? lines : bytes) = to_number(argv[++i]).value_or(10);
    } else if (a.size() > 1 && a[0] == '-' && to_number(a.substr(1))) {
      lines = *to_number(a.substr(1));
    } else {
      const auto* node = fs_.find(path(a));
      if (node == nullptr) {
        io.err += fmt::format("head: can't open '{}': No such file or directory\n", a);
        return 1;
      }
      input = node->content;
    }
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

int EmulatedShell::cmd_uname(const std::vector<std::string>& argv, Io& io) {
  const ElfMachine& m = machine_for(persona_.arch);
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
                          persona_.kernel_release, persona_.kernel_version, m.uname_m);
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
    parts.emplace_back(m.uname_m);
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

int EmulatedShell::cmd_wget(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome) {
  std::string url;
  std::string output;
  bool quiet = false;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if ((a == "-O" || a == "-P") && i + 1 < argv.size()) {
      output = argv[++i];
    } else if (a.starts_with("-O") && a.size() > 2) {
      output = a.substr(2);
    } else if (a == "-q") {
      quiet = true;
    } else if (a[0] != '-') {
      url = a.find("://") == std::string::npos ? "http://" + a : a;
    }
  }
  if (url.empty()) {
    io.err += "BusyBox v" + persona_.busybox_version +
              " multi-call binary.\n\nUsage: wget [-c|--continue] [-s|--spider] [-q|--quiet] "
              "[-O|--output-document FILE]\n\t[--header 'header: value'] [-Y|--proxy on/off] "
              "[-P DIR]\n\t[-U|--user-agent AGENT] URL...\n";
    return 1;
  }
  std::string name = output.empty() ? file_name_of_url(url) : output;
  std::string local = name == "-" ? "" : path(name);
  outcome.downloads.push_back({url, "wget", local});
  if (!quiet) {
    io.err += fmt::format("Connecting to {} ({})\n", host_of_url(url), host_of_url(url));
    if (!local.empty()) {
      io.err += fmt::format("{:<20} 100% |*******************************|  0:00:00 ETA\n",
                            base_name(name));
    }
  }
  return 0;
}

int EmulatedShell::cmd_curl(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome) {
  std::string url;
  std::string output;
  bool remote_name = false;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-o" && i + 1 < argv.size()) {
      output = argv[++i];
    } else if (a == "-O" || a == "--remote-name") {
      remote_name = true;
    } else if (a[0] != '-') {
      url = a.find("://") == std::string::npos ? "http://" + a : a;
    }
  }
  if (url.empty()) {
    io.err += "curl: try 'curl --help' for more information\n";
    return 2;
  }
  std::string local = !output.empty() ? path(output)
                      : remote_name   ? path(file_name_of_url(url))
                                      : "";
  outcome.downloads.push_back({url, "curl", local});
  return 0;
}

int EmulatedShell::cmd_tftp(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome) {
  std::string remote;
  std::string local;
  std::string host;
  std::string port = "69";
  bool get = false;
  std::vector<std::string> positional;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-r" && i + 1 < argv.size()) {
      remote = argv[++i];
    } else if (a == "-l" && i + 1 < argv.size()) {
      local = argv[++i];
    } else if (a == "-g") {
      get = true;
    } else if (a == "-gr" && i + 1 < argv.size()) {
      get = true;
      remote = argv[++i];
    } else if (a[0] != '-') {
      positional.push_back(a);
    }
  }
  if (!positional.empty()) {
    host = positional[0];
  }
  if (positional.size() > 1) {
    port = positional[1];
  }
  if (!get || remote.empty() || host.empty()) {
    io.err += "BusyBox v" + persona_.busybox_version +
              " multi-call binary.\n\nUsage: tftp [OPTIONS] HOST [PORT]\n\nTransfer a file from/to "
              "tftp server\n\n\t-l FILE\tLocal FILE\n\t-r FILE\tRemote FILE\n\t-g\tGet file\n"
              "\t-p\tPut file\n";
    return 1;
  }
  if (local.empty()) {
    local = base_name(remote);
  }
  std::string url = fmt::format("tftp://{}:{}/{}", host, port,
                                remote.starts_with('/') ? remote.substr(1) : remote);
  outcome.downloads.push_back({url, "tftp", path(local)});
  return 0;
}

int EmulatedShell::cmd_ftpget(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome) {
  std::string user = "anonymous";
  std::string password = "anonymous";
  std::string port = "21";
  std::vector<std::string> positional;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-u" && i + 1 < argv.size()) {
      user = argv[++i];
    } else if (a == "-p" && i + 1 < argv.size()) {
      password = argv[++i];
    } else if (a == "-P" && i + 1 < argv.size()) {
      port = argv[++i];
    } else if (a[0] != '-') {
      positional.push_back(a);
    }
  }
  if (positional.size() < 2) {
    io.err += "BusyBox v" + persona_.busybox_version +
              " multi-call binary.\n\nUsage: ftpget [OPTIONS] HOST [LOCAL_FILE] REMOTE_FILE\n";
    return 1;
  }
  std::string host = positional[0];
  std::string local = positional.size() > 2 ? positional[1] : base_name(positional[1]);
  std::string remote = positional.back();
  std::string url = fmt::format("ftp://{}:{}@{}:{}/{}", user, password, host, port,
                                remote.starts_with('/') ? remote.substr(1) : remote);
  outcome.downloads.push_back({url, "ftpget", path(local)});
  return 0;
}

}  // namespace mitsu::sensor
