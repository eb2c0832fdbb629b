#include "sensor/persona/persona.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>

#include "core/toml_reader.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::sensor {
namespace {

using Reader = TomlReader;

// A protocol's section: `port` makes the persona offer the service; the protocol reads the rest.
Status read_protocol_section(const Reader& r, const toml::table& table, const ProtocolInfo& info,
                             DevicePersona& p) {
  for (const auto& [k, node] : table) {
    std::string key = fmt::format("{}.{}", info.persona_section, k.str());
    std::string_view name = k.str();
    if (name == "port") {
      std::int64_t port = 0;
      if (Status s = r.integer(node, key, 1, 65535, port); !s) {
        return s;
      }
      p.services.push_back({info.name, static_cast<int>(port)});
      continue;
    }
    if (std::find(info.persona_keys.begin(), info.persona_keys.end(), name) ==
            info.persona_keys.end() ||
        !info.read_persona_key) {
      std::string known = "port";
      for (const std::string& known_key : info.persona_keys) {
        known += ", " + known_key;
      }
      return r.at(node, key, fmt::format("unknown key (known: {})", known));
    }
    if (Status s = info.read_persona_key(r, node, name, key, p); !s) {
      return s;
    }
  }
  return {};
}

// The persona's own sections: who may log in, and its files.
Status read_section(const Reader& r, const toml::table& table, std::string_view section,
                    DevicePersona& p) {
  for (const auto& [k, node] : table) {
    std::string key = fmt::format("{}.{}", section, k.str());
    std::string_view name = k.str();
    Status s;
    if (section == "credentials") {
      if (name == "accept") {
        s = r.string_pairs(node, key, p.credentials.accept);
      } else if (name == "accept_after_failures") {
        std::int64_t n = 0;
        s = r.integer(node, key, 0, 1000, n);
        p.credentials.accept_after_failures = static_cast<int>(n);
      } else {
        return r.at(node, key, "unknown key (known: accept, accept_after_failures)");
      }
    } else if (section == "filesystem") {
      const toml::array* list = node.as_array();
      if (list == nullptr) {
        return r.at(node, key, "expected an array");
      }
      for (const toml::node& item : *list) {
        if (name == "directories") {
          std::string dir;
          if (Status d = r.string(item, key, dir); !d) {
            return d;
          }
          p.directories.push_back(dir);
        } else if (name == "files") {
          const toml::table* file = item.as_table();
          if (file == nullptr) {
            return r.at(item, key, "expected tables with path, content and mode");
          }
          PersonaFile f;
          for (const auto& [fk, fnode] : *file) {
            std::string fkey = fmt::format("{}.{}", key, fk.str());
            Status fs;
            if (fk.str() == "path")
              fs = r.string(fnode, fkey, f.path);
            else if (fk.str() == "content")
              fs = r.string(fnode, fkey, f.content);
            else if (fk.str() == "mode") {
              std::int64_t mode = 0;
              fs = r.integer(fnode, fkey, 0, 07777, mode);
              f.mode = static_cast<std::uint32_t>(mode);
            } else {
              return r.at(fnode, fkey, "unknown key (known: path, content, mode)");
            }
            if (!fs) {
              return fs;
            }
          }
          if (!f.path.starts_with('/')) {
            return r.at(item, key, "path must be absolute");
          }
          p.files.push_back(std::move(f));
        } else {
          return r.at(node, key, "unknown key (known: directories, files)");
        }
      }
    }
    if (!s) {
      return s;
    }
  }
  return {};
}

// Sections of the registered protocols, for error messages.
std::string known_sections() {
  std::string out;
  for (const ProtocolInfo* info : ProtocolRegistry::instance().all()) {
    if (!info->persona_section.empty()) {
      out += out.empty() ? info->persona_section : ", " + info->persona_section;
    }
  }
  return out;
}

constexpr std::array<std::string_view, 6> kArchs{"arm",     "mips",   "mipsel",
                                                 "aarch64", "x86_64", "powerpc"};

}  // namespace

Result<DevicePersona> load_persona(const std::filesystem::path& file) {
  register_builtin_protocols();
  DevicePersona p;
  p.name = file.stem().string();
  Reader r(file.string());
  auto root = r.parse_file();
  if (!root) {
    return root.failure();
  }
  for (const auto& [k, node] : *root) {
    std::string_view key = k.str();
    Status s;
    std::int64_t number = 0;
    if (const toml::table* section = node.as_table()) {
      if (const ProtocolInfo* info = ProtocolRegistry::instance().find_by_section(key)) {
        s = read_protocol_section(r, *section, *info, p);
      } else if (key == "credentials" || key == "filesystem") {
        s = read_section(r, *section, key, p);
      } else {
        return r.at(
            node, key,
            fmt::format("unknown section (known: {}, credentials, filesystem)", known_sections()));
      }
    } else if (key == "device_type")
      s = r.string(node, key, p.device_type);
    else if (key == "vendor")
      s = r.string(node, key, p.vendor);
    else if (key == "model")
      s = r.string(node, key, p.model);
    else if (key == "arch") {
      s = r.string(node, key, p.arch);
      if (s && std::find(kArchs.begin(), kArchs.end(), p.arch) == kArchs.end()) {
        return r.at(node, key, "unknown CPU (known: arm, mips, mipsel, aarch64, x86_64, powerpc)");
      }
    } else if (key == "cpu_cores") {
      s = r.integer(node, key, 1, 64, number);
      p.cpu_cores = static_cast<int>(number);
    } else if (key == "cpu_model")
      s = r.string(node, key, p.cpu_model);
    else if (key == "kernel_release")
      s = r.string(node, key, p.kernel_release);
    else if (key == "kernel_version")
      s = r.string(node, key, p.kernel_version);
    else if (key == "hostname")
      s = r.string(node, key, p.hostname);
    else if (key == "busybox_version")
      s = r.string(node, key, p.busybox_version);
    else if (key == "shell_name")
      s = r.string(node, key, p.shell_name);
    else if (key == "prompt")
      s = r.string(node, key, p.prompt);
    else {
      return r.at(
          node, key,
          fmt::format("unknown key (known: device_type, vendor, model, arch, cpu_cores, cpu_model, "
                      "kernel_release, kernel_version, hostname, busybox_version, shell_name, "
                      "prompt and the sections {}, credentials, filesystem)",
                      known_sections()));
    }
    if (!s) {
      return s.failure();
    }
  }
  for (std::string_view required : {"device_type", "vendor", "model", "arch", "hostname"}) {
    const std::string& value = required == "device_type" ? p.device_type
                               : required == "vendor"    ? p.vendor
                               : required == "model"     ? p.model
                               : required == "arch"      ? p.arch
                                                         : p.hostname;
    if (value.empty()) {
      return Error{fmt::format("{}: missing required key {}", file.string(), required)};
    }
  }
  return p;
}

Result<std::vector<DevicePersona>> load_personas(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".toml") {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    return Error{fmt::format("{}: {}", dir.string(), ec.message())};
  }
  std::sort(files.begin(), files.end());
  std::vector<DevicePersona> out;
  for (const auto& f : files) {
    auto p = load_persona(f);
    if (!p) {
      return p.failure();
    }
    out.push_back(std::move(*p));
  }
  if (out.empty()) {
    return Error{fmt::format("{}: no persona files (*.toml)", dir.string())};
  }
  return out;
}

void randomise(DevicePersona& p, std::string_view seed) {
  // SHA-256 of seed and persona name: stable per sensor, independent between personas.
  std::string input = std::string(seed) + "/" + p.name;
  std::array<unsigned char, 32> h{};
  unsigned size = 0;
  EVP_Digest(input.data(), input.size(), h.data(), &size, EVP_sha256(), nullptr);
  // Unicast and universally administered (low two bits of the first byte clear), as a vendor's.
  p.mac = fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", h[0] & 0xfc, h[1], h[2], h[3],
                      h[4], h[5]);
  p.serial =
      fmt::format("{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}", h[6], h[7], h[8], h[9], h[10], h[11]);
  // A '%' in the hostname becomes four hex digits, as devices that name themselves after their
  // MAC do; hostnames without one stay as the vendor ships them.
  if (std::size_t at = p.hostname.find('%'); at != std::string::npos) {
    p.hostname.replace(at, 1, fmt::format("{:02X}{:02X}", h[4], h[5]));
  }
  std::uint32_t uptime_days = 3 + h[14] % 90;
  std::uint32_t uptime_s = uptime_days * 86400u + (static_cast<std::uint32_t>(h[15]) << 8 | h[16]);
  p.boot_time_s = -static_cast<std::int64_t>(uptime_s);  // relative: now + boot_time_s
}

bool credentials_accepted(const CredentialPolicy& policy, std::string_view user,
                          std::string_view password, int failures_so_far) {
  for (const auto& [u, pw] : policy.accept) {
    if ((u == "*" || u == user) && (pw == "*" || pw == password)) {
      return true;
    }
  }
  return policy.accept_after_failures > 0 && failures_so_far >= policy.accept_after_failures;
}

}  // namespace mitsu::sensor
