// The persona's filesystem: the directories and files a busybox device has (/proc/cpuinfo for
// its CPU, /proc/mounts, /etc/passwd, the ELF stubs), then the persona's own files.

#include <fmt/format.h>

#include <algorithm>

#include "sensor/shell/emulated_shell.h"

namespace mitsu::sensor {
namespace {

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

}  // namespace

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

}  // namespace mitsu::sensor
