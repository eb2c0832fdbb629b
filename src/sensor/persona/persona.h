#pragma once
// A device persona: what one emulated IoT appliance looks like from the network. Personas are
// data (TOML files under personas/), so a new device is a new file, not new code.

#include <any>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace mitsu::sensor {

// Which user/password pairs log in. Bots try lists of defaults: a persona either accepts the
// listed pairs, or anything after a number of failures (so the bot's next steps are seen).
struct CredentialPolicy {
  std::vector<std::pair<std::string, std::string>> accept;  // "*" matches any value
  int accept_after_failures = 0;                            // 0: only the listed pairs
};

struct PersonaFile {
  std::string path;
  std::string content;
  std::uint32_t mode = 0644;
};

// A page of the persona's web UI, served as is.
struct HttpPage {
  std::string path;
  int status = 200;
  std::string content_type = "text/html";
  std::string body;
  bool auth = false;  // behind the HTTP Basic realm
};

struct PersonaService {
  std::string protocol;  // a registered protocol: telnet, ssh, …
  int port = 0;          // the unprivileged port the all-in-one default listens on
};

struct DevicePersona {
  std::string name;         // file stem, e.g. "ip-camera"
  std::string device_type;  // camera, recorder, intercom, nas, router
  std::string vendor;
  std::string model;
  std::string arch;  // arm, mips, mipsel, aarch64, x86_64 (what /bin/busybox claims to be)
  int cpu_cores = 1;
  std::string cpu_model;  // the "model name"/"cpu model" line of /proc/cpuinfo
  std::string kernel_release = "3.10.14";
  std::string kernel_version = "#1 SMP PREEMPT";
  std::string hostname;
  std::string busybox_version = "1.22.1";
  std::string shell_name = "-sh";  // how busybox names itself in errors: "-sh: x: not found"
  std::string prompt = "# ";

  std::string telnet_banner;  // sent before the first login prompt ("\r\n" line ends)
  std::string login_prompt = "login: ";
  std::string password_prompt = "Password: ";
  std::string login_failed = "Login incorrect";
  // Failed logins before the connection is closed. One, as many IoT telnetds do: bots try one
  // pair per connection anyway, and brute forcers that reuse a connection after "Login
  // incorrect" (hydra) skip a pair there but retry it exactly after a close.
  int max_login_failures = 1;
  std::string motd;
  std::string ssh_version = "SSH-2.0-dropbear_2017.75";
  CredentialPolicy credentials;

  // Web UI: what Shodan-style scanners fingerprint (Server header, realm, login page, paths).
  std::string http_server = "GoAhead-Webs";
  std::string http_realm;       // Basic-auth realm of pages with auth = true
  std::string http_login_path;  // where the login form posts ("" when there is none)
  std::string http_user_field = "username";
  std::string http_password_field = "password";
  bool http_date_first = false;  // Date before Server in responses, as Boa sends them
  std::vector<HttpPage> http_pages;

  // FTP: the greeting names the daemon nmap and bots recognise ("220 Operation successful" is
  // BusyBox ftpd); anonymous logins are what ftp-anon scanners look for.
  std::string ftp_banner = "220 Operation successful";
  bool ftp_anonymous = false;

  // UPnP: the device SSDP announces and its description (rootDesc.xml) shows, with the services
  // it controls (WANIPConnection on a gateway, ContentDirectory on a media server).
  std::string upnp_device_type;  // "" when the persona has no UPnP
  std::string upnp_server = "Linux/2.6 UPnP/1.0 miniupnpd/1.9";
  std::string upnp_friendly_name;
  std::vector<std::string> upnp_services;  // urn:schemas-upnp-org:service:…:1
  // What GetExternalIPAddress answers; "" (the default): the address the client reached, which
  // on a sensor facing the internet is its public one, as a real gateway's WAN address is.
  std::string upnp_external_ip;

  // Settings of protocols that are not built in, by protocol name: their register.cc reads its
  // persona section into a type of its own (the built-ins keep the named fields above).
  std::map<std::string, std::any> protocol_settings;
  template <typename T>
  T& settings(const std::string& protocol) {
    std::any& slot = protocol_settings[protocol];
    if (!slot.has_value()) {
      slot = T{};
    }
    return std::any_cast<T&>(slot);
  }
  template <typename T>
  const T* find_settings(const std::string& protocol) const {
    auto it = protocol_settings.find(protocol);
    return it == protocol_settings.end() ? nullptr : std::any_cast<T>(&it->second);
  }

  std::vector<std::string> directories;
  std::vector<PersonaFile> files;
  std::vector<PersonaService> services;

  // Values that would fingerprint every Mitsu sensor alike; randomised per sensor (stable).
  std::string mac;
  std::string serial;
  std::int64_t boot_time_s = 0;  // uptime is now - boot_time_s

  // A banner or prompt with "{hostname}" replaced by this sensor's hostname.
  std::string expand(std::string_view text) const {
    std::string out(text);
    for (std::size_t at = out.find("{hostname}"); at != std::string::npos;
         at = out.find("{hostname}", at + hostname.size())) {
      out.replace(at, 10, hostname);
    }
    return out;
  }
};

// Reads one persona file; errors name the file, line and key. Protocol sections ([telnet],
// [http], …) are read by the protocols the registry knows.
Result<DevicePersona> load_persona(const std::filesystem::path& file);

// Every *.toml in a directory, sorted by name.
Result<std::vector<DevicePersona>> load_personas(const std::filesystem::path& dir);

// Fills hostname suffix, MAC, serial and boot time from a per-sensor secret so two sensors differ
// but one sensor looks the same after a restart. `seed` is kept in the sensor's data directory.
void randomise(DevicePersona& persona, std::string_view seed);

// Whether the policy lets this pair in, given the failures earlier in the session.
bool credentials_accepted(const CredentialPolicy& policy, std::string_view user,
                          std::string_view password, int failures_so_far);

}  // namespace mitsu::sensor
