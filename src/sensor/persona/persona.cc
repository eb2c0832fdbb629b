#include "sensor/persona/persona.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>

#include "core/toml_reader.h"

namespace mitsu::sensor {
namespace {

using Reader = TomlReader;

Status read_section(const Reader& r, const toml::table& table, std::string_view section,
                    DevicePersona& p) {
  for (const auto& [k, node] : table) {
    std::string key = fmt::format("{}.{}", section, k.str());
    std::string_view name = k.str();
    Status s;
    if (section == "telnet") {
      std::int64_t port = 0;
      if (name == "banner")
        s = r.string(node, key, p.telnet_banner);
      else if (name == "login_prompt")
        s = r.string(node, key, p.login_prompt);
      else if (name == "password_prompt")
        s = r.string(node, key, p.password_prompt);
      else if (name == "login_failed")
        s = r.string(node, key, p.login_failed);
      else if (name == "motd")
        s = r.string(node, key, p.motd);
      else if (name == "max_login_failures") {
        std::int64_t n = 0;
        s = r.integer(node, key, 1, 1000, n);
        p.max_login_failures = static_cast<int>(n);
      } else if (name == "port") {
        s = r.integer(node, key, 1, 65535, port);
        p.services.push_back({"telnet", static_cast<int>(port)});
      } else {
        return r.at(node, key,
                    "unknown key (known: banner, login_prompt, password_prompt, "
                    "login_failed, motd, max_login_failures, port)");
      }
    } else if (section == "ssh") {
      std::int64_t port = 0;
      if (name == "version")
        s = r.string(node, key, p.ssh_version);
      else if (name == "port") {
        s = r.integer(node, key, 1, 65535, port);
        p.services.push_back({"ssh", static_cast<int>(port)});
      } else {
        return r.at(node, key, "unknown key (known: version, port)");
      }
      if (s && name == "version" && !p.ssh_version.starts_with("SSH-2.0-")) {
        return r.at(node, key, "must start with \"SSH-2.0-\"");
      }
    } else if (section == "http") {
      std::int64_t port = 0;
      if (name == "server")
        s = r.string(node, key, p.http_server);
      else if (name == "realm")
        s = r.string(node, key, p.http_realm);
      else if (name == "login_path")
        s = r.string(node, key, p.http_login_path);
      else if (name == "user_field")
        s = r.string(node, key, p.http_user_field);
      else if (name == "password_field")
        s = r.string(node, key, p.http_password_field);
      else if (name == "date_first") {
        if (!node.is_boolean()) {
          return r.at(node, key, "expected true or false");
        }
        p.http_date_first = *node.value<bool>();
      } else if (name == "port") {
        s = r.integer(node, key, 1, 65535, port);
        p.services.push_back({"http", static_cast<int>(port)});
      } else if (name == "pages") {
        const toml::array* list = node.as_array();
        if (list == nullptr) {
          return r.at(node, key, "expected [[http.pages]] tables");
        }
        for (const toml::node& item : *list) {
          const toml::table* page = item.as_table();
          if (page == nullptr) {
            return r.at(item, key, "expected tables with path, status, content_type, body, auth");
          }
          HttpPage hp;
          for (const auto& [pk, pnode] : *page) {
            std::string pkey = fmt::format("{}.{}", key, pk.str());
            Status ps;
            std::int64_t status = 0;
            if (pk.str() == "path")
              ps = r.string(pnode, pkey, hp.path);
            else if (pk.str() == "content_type")
              ps = r.string(pnode, pkey, hp.content_type);
            else if (pk.str() == "body")
              ps = r.string(pnode, pkey, hp.body);
            else if (pk.str() == "status") {
              ps = r.integer(pnode, pkey, 100, 599, status);
              hp.status = static_cast<int>(status);
            } else if (pk.str() == "auth") {
              if (!pnode.is_boolean()) {
                return r.at(pnode, pkey, "expected true or false");
              }
              hp.auth = *pnode.value<bool>();
            } else {
              return r.at(pnode, pkey,
                          "unknown key (known: path, status, content_type, body, auth)");
            }
            if (!ps) {
              return ps;
            }
          }
          if (!hp.path.starts_with('/')) {
            return r.at(item, key, "path must start with /");
          }
          p.http_pages.push_back(std::move(hp));
        }
      } else {
        return r.at(node, key,
                    "unknown key (known: port, server, date_first, realm, login_path, "
                    "user_field, password_field, pages)");
      }
    } else if (section == "ftp") {
      std::int64_t port = 0;
      if (name == "banner")
        s = r.string(node, key, p.ftp_banner);
      else if (name == "anonymous") {
        if (!node.is_boolean()) {
          return r.at(node, key, "expected true or false");
        }
        p.ftp_anonymous = *node.value<bool>();
      } else if (name == "port") {
        s = r.integer(node, key, 1, 65535, port);
        p.services.push_back({"ftp", static_cast<int>(port)});
      } else {
        return r.at(node, key, "unknown key (known: port, banner, anonymous)");
      }
      if (s && name == "banner" && !p.ftp_banner.starts_with("220")) {
        return r.at(node, key, "must start with \"220\"");
      }
    } else if (section == "tftp") {
      std::int64_t port = 0;
      if (name == "port") {
        s = r.integer(node, key, 1, 65535, port);
        p.services.push_back({"tftp", static_cast<int>(port)});
      } else {
        return r.at(node, key, "unknown key (known: port)");
      }
    } else if (section == "upnp") {
      std::int64_t port = 0;
      if (name == "device_type")
        s = r.string(node, key, p.upnp_device_type);
      else if (name == "server")
        s = r.string(node, key, p.upnp_server);
      else if (name == "friendly_name")
        s = r.string(node, key, p.upnp_friendly_name);
      else if (name == "external_ip")
        s = r.string(node, key, p.upnp_external_ip);
      else if (name == "services") {
        const toml::array* list = node.as_array();
        if (list == nullptr) {
          return r.at(node, key, "expected an array of service type URNs");
        }
        for (const toml::node& item : *list) {
          std::string service;
          if (Status e = r.string(item, key, service); !e) {
            return e;
          }
          p.upnp_services.push_back(std::move(service));
        }
      } else if (name == "port") {
        s = r.integer(node, key, 1, 65535, port);
        p.services.push_back({"ssdp", static_cast<int>(port)});
      } else {
        return r.at(node, key,
                    "unknown key (known: port, device_type, server, friendly_name, services, "
                    "external_ip)");
      }
    } else if (section == "credentials") {
      if (name == "accept") {
        const toml::array* list = node.as_array();
        if (list == nullptr) {
          return r.at(node, key, "expected an array of [\"user\", \"password\"]");
        }
        for (const toml::node& item : *list) {
          const toml::array* pair = item.as_array();
          if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
              !(*pair)[1].is_string()) {
            return r.at(item, key, "each entry must be [\"user\", \"password\"]");
          }
          p.credentials.accept.emplace_back(*(*pair)[0].value<std::string>(),
                                            *(*pair)[1].value<std::string>());
        }
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

constexpr std::array<std::string_view, 6> kArchs{"arm",     "mips",   "mipsel",
                                                 "aarch64", "x86_64", "powerpc"};

}  // namespace

Result<DevicePersona> load_persona(const std::filesystem::path& file) {
  DevicePersona p;
  p.name = file.stem().string();
  Reader r(file.string());
  try {
    toml::table root = toml::parse_file(file.string());
    for (const auto& [k, node] : root) {
      std::string_view key = k.str();
      Status s;
      std::int64_t number = 0;
      if (const toml::table* section = node.as_table()) {
        if (key != "telnet" && key != "ssh" && key != "http" && key != "ftp" && key != "tftp" &&
            key != "upnp" && key != "credentials" && key != "filesystem") {
          return r.at(node, key,
                      "unknown section (known: telnet, ssh, http, ftp, tftp, upnp, credentials, "
                      "filesystem)");
        }
        s = read_section(r, *section, key, p);
      } else if (key == "device_type")
        s = r.string(node, key, p.device_type);
      else if (key == "vendor")
        s = r.string(node, key, p.vendor);
      else if (key == "model")
        s = r.string(node, key, p.model);
      else if (key == "arch") {
        s = r.string(node, key, p.arch);
        if (s && std::find(kArchs.begin(), kArchs.end(), p.arch) == kArchs.end()) {
          return r.at(node, key,
                      "unknown CPU (known: arm, mips, mipsel, aarch64, x86_64, powerpc)");
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
        return r.at(node, key,
                    "unknown key (known: device_type, vendor, model, arch, cpu_cores, cpu_model, "
                    "kernel_release, kernel_version, hostname, busybox_version, shell_name, "
                    "prompt and the sections telnet, ssh, http, ftp, tftp, upnp, credentials, "
                    "filesystem)");
      }
      if (!s) {
        return Error{s.error()};
      }
    }
  } catch (const toml::parse_error& e) {
    return Error{fmt::format("{}:{}:{}: {}", file.string(), e.source().begin.line,
                             e.source().begin.column, e.description())};
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
      return Error{p.error()};
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
