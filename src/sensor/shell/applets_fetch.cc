// Applets that fetch payloads: wget, curl, tftp, ftpget. Nothing is fetched here; each URL becomes
// a download request the session hands to the downloader, delivered to the named path later.

#include <fmt/format.h>

#include <algorithm>

#include "sensor/shell/emulated_shell.h"
#include "sensor/shell/shell_support.h"

namespace mitsu::sensor {

using namespace shell_support;

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
