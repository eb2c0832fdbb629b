#pragma once
// bench/api's clients and receiver: keep-alive HTTPS clients (libcurl, one connection per
// thread), a live-stream reader, and a minimal webhook receiver on loopback.

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"

namespace mitsu::bench {

class Latencies {
 public:
  void add(std::chrono::steady_clock::duration d) {
    ms_.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  void merge(const Latencies& other) { ms_.insert(ms_.end(), other.ms_.begin(), other.ms_.end()); }
  double p(double percent) const {
    if (ms_.empty()) {
      return 0;
    }
    std::vector<double> sorted = ms_;
    std::sort(sorted.begin(), sorted.end());
    auto at = static_cast<std::size_t>(percent / 100.0 * static_cast<double>(sorted.size() - 1));
    return sorted[at];
  }
  std::size_t count() const { return ms_.size(); }
  double per_second() const {
    return seconds_ > 0 ? static_cast<double>(ms_.size()) / seconds_ : 0;
  }
  void set_seconds(double s) { seconds_ = s; }

 private:
  std::vector<double> ms_;
  double seconds_ = 0;
};

inline std::size_t append_to(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

inline CURL* https_handle(const std::filesystem::path& ca, const std::string& token,
                          curl_slist** headers) {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);  // the certificate names localhost
  *headers = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_to);
  return c;
}

class HttpsClients {
 public:
  HttpsClients(std::string base, std::filesystem::path ca, std::string token)
      : base_(std::move(base)), ca_(std::move(ca)), token_(std::move(token)) {}

  std::string get_once(const std::string& path) {
    curl_slist* headers = nullptr;
    CURL* c = https_handle(ca_, token_, &headers);
    std::string body = get(c, path);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return body;
  }

  // `clients` threads, each `requests` GETs of `path` over one keep-alive connection.
  Latencies run(const std::string& path, int clients, int requests) {
    std::vector<Latencies> each(static_cast<std::size_t>(clients));
    std::vector<std::thread> threads;
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < clients; ++i) {
      threads.emplace_back([&, i] {
        curl_slist* headers = nullptr;
        CURL* c = https_handle(ca_, token_, &headers);
        for (int r = 0; r < requests; ++r) {
          auto t0 = std::chrono::steady_clock::now();
          get(c, path);
          each[static_cast<std::size_t>(i)].add(std::chrono::steady_clock::now() - t0);
        }
        curl_easy_cleanup(c);
        curl_slist_free_all(headers);
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    Latencies all;
    for (const auto& l : each) {
      all.merge(l);
    }
    all.set_seconds(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return all;
  }

 private:
  std::string get(CURL* c, const std::string& path) {
    std::string body;
    std::string url = base_ + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200) {
      die(fmt::format("GET {}: {} {} {}", path, curl_easy_strerror(rc), status, body));
    }
    return body;
  }

  std::string base_;
  std::filesystem::path ca_;
  std::string token_;
};

// Reads a live stream on a thread of its own, calling `on_event` with each event frame's JSON.
class SseReader {
 public:
  SseReader(std::string url, std::filesystem::path ca, std::string token,
            std::function<void(const nlohmann::json&)> on_event)
      : on_event_(std::move(on_event)) {
    thread_ = std::thread([this, url = std::move(url), ca = std::move(ca), token] {
      curl_slist* headers = nullptr;
      CURL* c = https_handle(ca, token, &headers);
      curl_easy_setopt(c, CURLOPT_URL, url.c_str());
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &SseReader::write);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
      curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &SseReader::progress);
      curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
      curl_easy_perform(c);
      curl_easy_cleanup(c);
      curl_slist_free_all(headers);
    });
  }
  ~SseReader() { stop(); }

  void wait_open() {
    for (int i = 0; i < 200 && !open_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!open_) {
      die("the live stream did not open");
    }
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  static std::size_t write(char* data, std::size_t size, std::size_t n, void* self_ptr) {
    auto* self = static_cast<SseReader*>(self_ptr);
    self->buffer_.append(data, size * n);
    for (std::size_t end; (end = self->buffer_.find("\n\n")) != std::string::npos;) {
      std::string frame = self->buffer_.substr(0, end);
      self->buffer_.erase(0, end + 2);
      self->open_ = self->open_ || frame.find("event: hello") != std::string::npos;
      std::size_t data_at = frame.find("\ndata: ");
      if (frame.starts_with("event: event") && data_at != std::string::npos) {
        self->on_event_(nlohmann::json::parse(frame.substr(data_at + 7)));
      }
    }
    return self->stopping_ ? 0 : size * n;
  }
  static int progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<SseReader*>(self_ptr)->stopping_ ? 1 : 0;
  }

  std::function<void(const nlohmann::json&)> on_event_;
  std::string buffer_;
  std::atomic<bool> open_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Accepts HTTP/1.1 POSTs on 127.0.0.1 (keep-alive), answers 200, hands each body to on_body.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      die("webhook receiver: cannot listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~WebhookReceiver() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
    for (auto& t : connections_) {
      t.join();
    }
  }
  int port() const { return port_; }
  void on_body(std::function<void(const nlohmann::json&)> f) { on_body_ = std::move(f); }

 private:
  void accept_loop() {
    for (;;) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) {
        return;
      }
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    std::string in;
    char chunk[65536];
    for (;;) {
      std::size_t head_end = in.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string head = in.substr(0, head_end);
        for (char& ch : head) {
          ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        std::size_t at = head.find("content-length:");
        std::size_t length = 0;
        if (at != std::string::npos) {
          length = std::strtoul(head.c_str() + at + 15, nullptr, 10);
        }
        if (in.size() >= head_end + 4 + length) {
          std::string body = in.substr(head_end + 4, length);
          in.erase(0, head_end + 4 + length);
          if (on_body_) {
            auto parsed = nlohmann::json::parse(body, nullptr, false);
            if (!parsed.is_discarded()) {
              on_body_(parsed);
            }
          }
          const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
          if (::write(fd, ok, sizeof ok - 1) < 0) {
            break;
          }
          continue;
        }
      }
      ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) {
        break;
      }
      in.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
  }

  int listener_ = -1;
  int port_ = 0;
  std::function<void(const nlohmann::json&)> on_body_;
  std::thread thread_;
  std::vector<std::thread> connections_;
};

}  // namespace mitsu::bench
