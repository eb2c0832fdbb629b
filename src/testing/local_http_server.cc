#include "testing/local_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace mitsu::testing {

LocalHttpServer::LocalHttpServer(std::map<std::string, Response> routes)
    : routes_(std::move(routes)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_, 64) != 0) {
    throw std::runtime_error("LocalHttpServer: cannot listen on 127.0.0.1");
  }
  socklen_t size = sizeof(address);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LocalHttpServer::~LocalHttpServer() {
  stop_ = true;
  thread_.join();
  ::close(listener_);
}

std::string LocalHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<std::string> LocalHttpServer::paths() const {
  std::lock_guard lock(mutex_);
  return paths_;
}

void LocalHttpServer::serve() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      continue;
    }
    ++connections_;
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      pollfd c{client, POLLIN, 0};
      if (::poll(&c, 1, 2000) <= 0) {
        break;
      }
      ssize_t n = ::read(client, buffer, sizeof(buffer));
      if (n <= 0) {
        break;
      }
      request.append(buffer, static_cast<std::size_t>(n));
    }
    std::size_t start = request.find(' ');
    std::size_t end = request.find(' ', start + 1);
    std::string path = start == std::string::npos || end == std::string::npos
                           ? "/"
                           : request.substr(start + 1, end - start - 1);
    {
      std::lock_guard lock(mutex_);
      paths_.push_back(path);
    }
    auto it = routes_.find(path);
    Response r = it == routes_.end() ? Response{404, "not found\n", ""} : it->second;
    std::string head = "HTTP/1.0 " + std::to_string(r.status) +
                       " X\r\nContent-Length: " + std::to_string(r.body.size()) +
                       "\r\nConnection: close\r\n";
    if (!r.location.empty()) {
      head += "Location: " + r.location + "\r\n";
    }
    std::string all = head + "\r\n" + r.body;
    std::size_t sent = 0;
    while (sent < all.size()) {
      ssize_t n = ::send(client, all.data() + sent, all.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        break;
      }
      sent += static_cast<std::size_t>(n);
    }
    ::close(client);
  }
}

}  // namespace mitsu::testing
