#pragma once
// A busybox `sh` that runs nothing: it answers the commands IoT bots send the way a busybox
// device would (the texts loaders test for, `cat /bin/echo` with the persona's ELF header),
// keeps files the attacker writes in a per-session overlay, and hands every URL it is asked to
// fetch to the caller. The caller (a Telnet or SSH session) turns outcomes into events.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sensor/persona/persona.h"
#include "sensor/shell/fake_filesystem.h"

namespace mitsu::sensor {

struct DownloadRequest {
  std::string url;         // http://, https://, ftp:// or tftp://
  std::string tool;        // wget, curl, tftp, ftpget
  std::string local_path;  // absolute path the command would have written ("" for stdout)
};

struct ShellOutcome {
  std::string output;  // what the terminal shows, stdout and stderr in order
  std::vector<DownloadRequest> downloads;
  std::vector<std::string> executed;  // absolute paths of session files the attacker ran
  bool exit = false;
};

// The persona's filesystem, built once per persona and copied into each session.
std::shared_ptr<const FakeFilesystem> persona_filesystem(const DevicePersona& persona);

// A small ELF image whose header names the persona's CPU, as /bin/busybox and /bin/echo.
std::string elf_stub(std::string_view arch);

class EmulatedShell {
 public:
  EmulatedShell(const DevicePersona& persona, std::shared_ptr<const FakeFilesystem> base,
                std::int64_t now_s);

  std::string prompt() const { return persona_.prompt; }

  // One line as typed (without its line end). `now_s`: wall-clock seconds, for `uptime`.
  ShellOutcome run(std::string_view line, std::int64_t now_s = 0);

  // A finished download lands where its command said.
  void deliver(const std::string& local_path, std::string_view content);

  const FakeFilesystem& filesystem() const { return fs_; }

 private:
  struct Io {
    std::string input;  // stdin: the previous command's output in a pipeline, or a file
    std::string out;    // stdout
    std::string err;    // stderr (shown on the terminal unless redirected)
  };
  int run_command(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome, int depth);
  int run_script(std::string_view text, ShellOutcome& outcome, int depth);
  ShellOutcome run_parsed(std::string_view line, int depth);
  void run_line_into(std::string_view line, ShellOutcome& outcome, int depth);

  // One applet: argv[0] is its name as typed. The table (applet_table.cc) is the only list.
  struct Applet {
    std::string_view name;
    bool busybox;  // `busybox` lists and runs it (shell builtins and curl are not applets)
    int (*run)(EmulatedShell& shell, const std::vector<std::string>& argv, Io& io,
               ShellOutcome& outcome, int depth);
  };
  static const std::vector<Applet>& applets();
  static std::vector<Applet> builtin_applets();
  static std::vector<Applet> busybox_applets_a_to_l();
  static std::vector<Applet> busybox_applets_m_to_z();
  static const Applet* find_applet(std::string_view name);
  static std::string busybox_list();

  int cmd_cat(const std::vector<std::string>& argv, Io& io);
  int cmd_echo(const std::vector<std::string>& argv, Io& io);
  int cmd_printf(const std::vector<std::string>& argv, Io& io);
  int cmd_ls(const std::vector<std::string>& argv, Io& io);
  int cmd_cd(const std::vector<std::string>& argv, Io& io);
  int cmd_rm(const std::vector<std::string>& argv, Io& io);
  int cmd_cp_mv(const std::vector<std::string>& argv, Io& io, bool move);
  int cmd_chmod(const std::vector<std::string>& argv, Io& io);
  int cmd_mkdir(const std::vector<std::string>& argv, Io& io);
  int cmd_dd(const std::vector<std::string>& argv, Io& io);
  int cmd_head(const std::vector<std::string>& argv, Io& io);
  int cmd_tail(const std::vector<std::string>& argv, Io& io);
  bool read_head_tail_args(const std::vector<std::string>& argv, Io& io, std::string_view name,
                           long& lines, long& bytes, std::string& input);
  int cmd_uname(const std::vector<std::string>& argv, Io& io);
  int cmd_sh(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome, int depth);
  int cmd_grep(const std::vector<std::string>& argv, Io& io);
  int cmd_uptime(Io& io);
  int cmd_date(Io& io);
  int cmd_ifconfig(Io& io);
  int cmd_ps(Io& io);
  int cmd_wget(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome);
  int cmd_curl(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome);
  int cmd_tftp(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome);
  int cmd_ftpget(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome);
  int cmd_busybox(const std::vector<std::string>& argv, Io& io, ShellOutcome& outcome, int depth);
  int run_file(const std::string& path, const std::vector<std::string>& argv, Io& io,
               ShellOutcome& outcome, int depth);

  std::string path(std::string_view p) const { return FakeFilesystem::resolve(cwd_, p); }
  std::string not_found(std::string_view name) const;

  const DevicePersona& persona_;
  FakeFilesystem fs_;
  std::string cwd_ = "/";
  std::vector<std::string> history_;
  std::int64_t started_s_;  // when the session began (its shell's clock)
  std::int64_t now_s_ = 0;  // advanced by run(): the shell has no clock of its own
};

}  // namespace mitsu::sensor
