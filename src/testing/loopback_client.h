#pragma once
// A plain TCP client to 127.0.0.1 for tests that play the attacker: send a script, read until a
// marker shows up or the server closes.

#include <chrono>
#include <string>
#include <string_view>

namespace mitsu::testing {

class LoopbackClient {
 public:
  // Retries for `patience` while the server is still starting.
  explicit LoopbackClient(int port,
                          std::chrono::milliseconds patience = std::chrono::milliseconds(0));
  ~LoopbackClient();
  LoopbackClient(const LoopbackClient&) = delete;
  LoopbackClient& operator=(const LoopbackClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void send(std::string_view data);
  // Everything received so far, once `marker` is in it (or the peer closed, or time ran out).
  std::string read_until(std::string_view marker,
                         std::chrono::milliseconds limit = std::chrono::seconds(3));
  // Whether the server closed the connection within `limit`.
  bool closed_by_peer(std::chrono::milliseconds limit = std::chrono::seconds(3));

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

}  // namespace mitsu::testing
