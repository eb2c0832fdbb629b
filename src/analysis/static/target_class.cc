#include "analysis/static/target_class.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace mitsu::analysis {
namespace {

struct Marker {
  std::string_view text;
  int weight;  // > 0 IoT, < 0 PC/server
};

// Strings that say what the sample expects to find on its victim.
constexpr std::array kMarkers{
    Marker{"busybox", 2},   Marker{"/dev/watchdog", 2},       Marker{"/dev/misc/watchdog", 2},
    Marker{"telnetd", 1},   Marker{"/etc/config/", 1},        Marker{"hi3518", 2},
    Marker{"/var/tmp/", 1}, Marker{"dvrHelper", 2},           Marker{"/mnt/mtd", 2},
    Marker{"uClibc", 2},    Marker{"systemctl", -2},          Marker{"/etc/systemd", -2},
    Marker{"crontab", -1},  Marker{"authorized_keys", -1},    Marker{"docker", -2},
    Marker{"kubectl", -2},  Marker{"/usr/lib/x86_64", -1},    Marker{"nvidia", -2},
    Marker{"xmrig", -1},    Marker{"/etc/ld.so.preload", -1},
};

}  // namespace

TargetClass classify_target(const ElfInfo& elf, const StringsReport& strings) {
  TargetClass out;
  auto add = [&](int weight, std::string why) {
    out.score += weight;
    out.reasons.push_back(fmt::format("{:+d} {}", weight, why));
  };
  if (elf.is_elf) {
    std::string_view a = elf.arch;
    if (a == "arm" || a == "armeb" || a.starts_with("mips") || a == "powerpc" || a == "sh4" ||
        a == "sh4eb" || a == "m68k" || a == "sparc" || a == "arc") {
      add(3, fmt::format("embedded CPU ({})", a));
    } else if (a == "x86_64" || a == "i386" || a == "powerpc64le" || a == "s390x" || a == "x32") {
      add(-2, fmt::format("PC/server CPU ({})", a));
    }
    std::string_view interp = elf.interpreter;
    if (interp.find("uClibc") != std::string_view::npos ||
        interp.find("ld-musl") != std::string_view::npos) {
      add(2, fmt::format("embedded libc loader {}", interp));
    } else if (interp.find("ld-linux-x86-64") != std::string_view::npos) {
      add(-1, fmt::format("desktop glibc loader {}", interp));
    }
    if (elf.linkage == "static" && elf.stripped) {
      add(1, "static and stripped, as IoT bots are built to run anywhere");
    }
  }
  for (const Marker& marker : kMarkers) {
    for (const ExtractedString& s : strings.strings) {
      if (s.text.find(marker.text) != std::string::npos) {
        add(marker.weight, fmt::format("mentions \"{}\"", marker.text));
        break;
      }
    }
  }
  if (out.score >= 3) {
    out.target = "iot";
  } else if (out.score <= -2) {
    out.target = "pc";
  }
  return out;
}

}  // namespace mitsu::analysis
