#include "analysis/sandbox/jail_root.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <tuple>

#include "core/unique_fd.h"

namespace mitsu::analysis::sandbox {
namespace fs = std::filesystem;

const char* const kJailApplets[17] = {"sh",     "ls",    "cat",   "echo",  "wget",    "tftp",
                                      "ftpget", "chmod", "rm",    "mkdir", "cp",      "mv",
                                      "ps",     "kill",  "sleep", "uname", "ifconfig"};

namespace {

// A hard link when it can: a copy is written, and a copy's descriptor inherited by a concurrent
// run's fork would make exec fail with "Text file busy".
bool place_program(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::remove(to, ec);
  fs::create_hard_link(from, to, ec);
  if (!ec) {
    return true;
  }
  UniqueFd in(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd out(open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755));
  bool ok = in && out;
  char buffer[65536];
  for (ssize_t n; ok && (n = read(in.get(), buffer, sizeof buffer)) > 0;) {
    ok = ::write(out.get(), buffer, static_cast<std::size_t>(n)) == n;
  }
  return ok;
}

}  // namespace

Result<JailRoot> JailRoot::make(const JailRootSpec& spec) {
  std::error_code ec;
  fs::remove_all(spec.dir, ec);
  JailRoot root(spec.dir, spec.keep);  // from here on, removed on every return
  for (const char* d : {"bin", "sbin", "usr/bin", "usr/sbin", "etc/init.d", "proc", "dev", "tmp",
                        "var/run", "var/log", "root", ".mitsu", "lib", "lib64", "usr/lib"}) {
    fs::create_directories(spec.dir / d, ec);
    if (ec) {
      return Error{
          fmt::format("cannot make the jail root {}: {}", spec.dir.string(), ec.message())};
    }
  }
  if (!place_program(spec.emulator, spec.dir / ".mitsu/qemu")) {
    return Error{fmt::format("cannot place {} in the jail", spec.emulator.string())};
  }
  if (fs::exists(spec.busybox, ec)) {
    place_program(spec.busybox, spec.dir / "bin/busybox");
    for (const char* applet : kJailApplets) {
      fs::create_symlink("busybox", spec.dir / "bin" / applet, ec);
    }
  }
  fs::path sample = spec.dir / "tmp/sample";
  fs::copy_file(spec.sample, sample, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    return Error{fmt::format("cannot copy the sample into the jail: {}", ec.message())};
  }
  chmod(sample.c_str(), 0755);
  (void)!chown(sample.c_str(), spec.uid, spec.uid);
  (void)!chown((spec.dir / "tmp").c_str(), spec.uid, spec.uid);
  chmod((spec.dir / "tmp").c_str(), 01777);
  std::ofstream(spec.dir / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  std::ofstream(spec.dir / "etc/hostname") << "iot-device\n";
  std::ofstream(spec.dir / "etc/resolv.conf") << "nameserver 192.0.2.53\n";
  // Character devices that lead nowhere: no tty, console, pts or vcs node exists in the jail.
  for (auto [name, major, minor] : {std::tuple{"null", 1, 3}, std::tuple{"zero", 1, 5},
                                    std::tuple{"random", 1, 8}, std::tuple{"urandom", 1, 9}}) {
    fs::path node = spec.dir / "dev" / name;
    mknod(node.c_str(), S_IFCHR | 0666, makedev(major, minor));
    chmod(node.c_str(), 0666);  // mknod's mode passes through the umask
  }
  std::ofstream(spec.dir / "dev/watchdog");  // a plain file: opening and writing it is harmless
  chmod((spec.dir / "dev/watchdog").c_str(), 0666);
  return root;
}

JailRoot::JailRoot(JailRoot&& other) noexcept : dir_(std::move(other.dir_)), keep_(other.keep_) {
  other.dir_.clear();
}

JailRoot::~JailRoot() {
  if (!dir_.empty() && !keep_) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

}  // namespace mitsu::analysis::sandbox
