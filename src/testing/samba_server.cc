#include "testing/samba_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace mitsu::testing {
namespace {

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

bool wait_for_tcp_port(int port) {
  for (int i = 0; i < 200; ++i) {
    if (accepts(port)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

namespace {

int free_port(int type) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t size = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

int free_tcp_port() {
  return free_port(SOCK_STREAM);
}

int free_udp_port() {
  return free_port(SOCK_DGRAM);
}

SambaServer::SambaServer(const std::filesystem::path& dir, int port)
    : dir_(dir), share_(dir / "share"), port_(port) {
  for (const char* sub : {"share", "private", "lock", "state", "cache", "pid", "log"}) {
    std::filesystem::create_directories(dir_ / sub);
  }
  std::filesystem::permissions(share_, std::filesystem::perms::all);
  auto at = [&](const char* sub) { return (dir_ / sub).string(); };
  std::ofstream(dir_ / "smb.conf") << fmt::format(
      "[global]\n"
      "  workgroup = WORKGROUP\n"
      "  server role = standalone server\n"
      "  map to guest = Bad User\n"
      "  smb ports = {}\n"
      "  interfaces = 127.0.0.1\n"
      "  bind interfaces only = yes\n"
      "  private dir = {}\n  lock directory = {}\n  state directory = {}\n"
      "  cache directory = {}\n  pid directory = {}\n  ncalrpc dir = {}/ncalrpc\n"
      "  log file = {}/smbd.log\n"
      "  load printers = no\n  printing = bsd\n  printcap name = /dev/null\n"
      "  disable spoolss = yes\n"
      "  server min protocol = NT1\n"
      "[share]\n"
      "  path = {}\n  read only = no\n  guest ok = yes\n  force user = root\n",
      port_, at("private"), at("lock"), at("state"), at("cache"), at("pid"), at("state"), at("log"),
      share_.string());
  // smbd starts samba-dcerpcd and its rpcd_* helpers on demand, each in a process group of its
  // own. In a PID namespace of its own, smbd is PID 1: when it dies (unshare --kill-child kills
  // it with unshare), the kernel ends every helper with it, so no test leaves one behind.
  smbd_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"unshare", "--pid", "--fork", "--kill-child", "smbd", "--foreground",
                               "--debug-stdout", "-s", (dir_ / "smb.conf").string()});
  for (int i = 0; i < 200 && !running_; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    running_ = accepts(port_);
  }
}

SambaServer::~SambaServer() {
  if (smbd_) {
    // unshare ignores SIGTERM while it waits for its child; killing it kills smbd (PID 1 of
    // the namespace, --kill-child), and with smbd every process in the namespace.
    smbd_->send_signal(SIGKILL);
    smbd_->wait();
  }
}

std::string SambaServer::log() const {
  std::ifstream in(dir_ / "log" / "smbd.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace mitsu::testing
