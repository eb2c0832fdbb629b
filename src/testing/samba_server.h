#pragma once
// For tests and the demo: Debian's real smbd on 127.0.0.1 with a writable guest share, standing
// in for a NAS or a recorder's media share behind the recording relay. Everything it keeps
// (configuration, state, the share itself) lives under one directory; its process group is
// ended with it.

#include <filesystem>
#include <memory>
#include <string>

#include "testing/subprocess.h"

namespace mitsu::testing {

class SambaServer {
 public:
  // Starts smbd on `port` and waits (up to ten seconds) until it accepts connections.
  SambaServer(const std::filesystem::path& dir, int port);
  ~SambaServer();
  SambaServer(const SambaServer&) = delete;
  SambaServer& operator=(const SambaServer&) = delete;

  bool running() const { return running_; }
  int port() const { return port_; }
  // The directory the share "share" serves.
  const std::filesystem::path& share() const { return share_; }
  std::string log() const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path share_;
  int port_ = 0;
  bool running_ = false;
  std::unique_ptr<ChildProcess> smbd_;
};

// A TCP or UDP port on 127.0.0.1 free at the time of asking.
int free_tcp_port();
int free_udp_port();
// Whether something accepts on 127.0.0.1:port within ten seconds.
bool wait_for_tcp_port(int port);

}  // namespace mitsu::testing
