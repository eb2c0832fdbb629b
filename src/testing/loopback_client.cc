#include "testing/loopback_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace mitsu::testing {

LoopbackClient::LoopbackClient(int port, std::chrono::milliseconds patience) {
  auto until = std::chrono::steady_clock::now() + patience;
  do {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
      return;
    }
    ::close(fd_);
    fd_ = -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  } while (std::chrono::steady_clock::now() < until);
}

LoopbackClient::~LoopbackClient() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void LoopbackClient::send(std::string_view data) {
  (void)::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
}

std::string LoopbackClient::read_until(std::string_view marker, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!closed_ && received_.find(marker) == std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) {
      continue;
    }
    char buffer[4096];
    ssize_t n = ::read(fd_, buffer, sizeof(buffer));
    if (n <= 0) {
      closed_ = true;
      break;
    }
    received_.append(buffer, static_cast<std::size_t>(n));
  }
  return received_;
}

bool LoopbackClient::closed_by_peer(std::chrono::milliseconds limit) {
  read_until(std::string(1, '\x01') + "never", limit);
  return closed_;
}

}  // namespace mitsu::testing
