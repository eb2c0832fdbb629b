#pragma once
// A tiny HTTP/1.0 server on 127.0.0.1 for tests: fixed responses by path, a count of connections,
// and nothing else. Tests use it as the attacker's payload host.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mitsu::testing {

class LocalHttpServer {
 public:
  struct Response {
    int status = 200;
    std::string body;
    std::string location;  // for redirects
  };

  // Binds 127.0.0.1 on a free port and serves until destroyed.
  explicit LocalHttpServer(std::map<std::string, Response> routes);
  ~LocalHttpServer();
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const;
  int connections() const { return connections_; }
  std::vector<std::string> paths() const;

 private:
  void serve();
  std::map<std::string, Response> routes_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> paths_;
  std::thread thread_;
};

}  // namespace mitsu::testing
