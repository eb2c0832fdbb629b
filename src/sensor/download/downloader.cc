#include "sensor/download/downloader.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace mitsu::sensor {
namespace {

struct Transfer {
  std::string url;
  std::string session_id;
  Downloader::Done done;
  std::optional<artifacts::ArtifactWriter> writer;
  std::string content;
  std::uint64_t size = 0;
  std::string refused;  // the guard's reason, when it refused a connection
  std::string write_error;
  const DownloadOptions* options = nullptr;
  const AddressGuard* guard = nullptr;
  char curl_error[CURL_ERROR_SIZE] = {};
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  if (t->size + n > t->options->max_bytes) {
    t->write_error = fmt::format("larger than the {} byte cap", t->options->max_bytes);
    return 0;  // aborts the transfer
  }
  if (Status s = t->writer->write(std::as_bytes(std::span(data, n))); !s) {
    t->write_error = s.error();
    return 0;
  }
  if (t->content.size() + n <= t->options->keep_in_memory) {
    t->content.append(data, n);
  }
  t->size += n;
  return n;
}

// Every socket libcurl opens — first connection, each redirect, FTP data, TFTP — comes here
// with the address it resolved, which is the one place an SSRF guard cannot be fooled by DNS.
curl_socket_t open_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  std::string why = t->guard->refusal(&address->addr);
  if (!why.empty()) {
    t->refused = why;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

bool fetchable(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://") || url.starts_with("ftp://") ||
         url.starts_with("tftp://");
}

}  // namespace

struct Downloader::Impl {
  DownloadOptions options;
  AddressGuard guard;
  artifacts::ArtifactStore& artifacts;
  CURLM* multi = nullptr;
  std::mutex mutex;
  std::deque<std::unique_ptr<Transfer>> queue;
  std::atomic<bool> stopping{false};
  std::thread thread;
  std::atomic<std::uint64_t> started{0}, succeeded{0}, failed{0}, refused{0}, rejected{0};
  std::vector<CURL*> active;  // handles in the multi (libcurl 7.88 cannot list them)

  Impl(DownloadOptions o, AddressGuard g, artifacts::ArtifactStore& a)
      : options(std::move(o)), guard(std::move(g)), artifacts(a) {}

  void finish(CURL* easy, CURLcode code) {
    Transfer* t = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
    std::unique_ptr<Transfer> owned(t);
    DownloadResult r;
    r.url = t->url;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
    bool http = t->url.starts_with("http");
    if (!t->refused.empty()) {
      r.error = "refused: " + t->refused;
      ++refused;
    } else if (!t->write_error.empty()) {
      r.error = t->write_error;
    } else if (code == CURLE_FILESIZE_EXCEEDED) {
      r.error = fmt::format("larger than the {} byte cap", options.max_bytes);
    } else if (code != CURLE_OK) {
      r.error = t->curl_error[0] != '\0' ? t->curl_error : curl_easy_strerror(code);
    } else if (http && (r.status < 200 || r.status >= 300)) {
      r.error = fmt::format("HTTP status {}", r.status);
    } else {
      auto put = t->writer->commit();
      if (put) {
        r.ok = true;
        r.size = t->size;
        r.sha256 = put->info.sha256;
        r.content = std::move(t->content);
      } else {
        r.error = put.error();
      }
    }
    (r.ok ? succeeded : failed)++;
    curl_multi_remove_handle(multi, easy);
    std::erase(active, easy);
    curl_easy_cleanup(easy);
    t->done(std::move(r));
  }

  void begin(std::unique_ptr<Transfer> t) {
    auto writer = artifacts.begin();
    if (!writer) {
      DownloadResult r;
      r.url = t->url;
      r.error = writer.error();
      ++failed;
      t->done(std::move(r));
      return;
    }
    t->writer.emplace(std::move(*writer));
    t->options = &options;
    t->guard = &guard;
    CURL* easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, t->url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https,ftp,tftp");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(options.max_redirects));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
    // Malware hosts rarely have valid certificates, and we only want the bytes.
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->curl_error);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t.get());
    curl_multi_add_handle(multi, easy);
    active.push_back(easy);
    ++started;
    (void)t.release();  // owned by the easy handle until finish()
  }

  void run() {
    int running = 0;
    while (!stopping) {
      {
        std::unique_lock lock(mutex);
        while (!queue.empty() && static_cast<std::size_t>(running) < options.max_concurrent) {
          auto t = std::move(queue.front());
          queue.pop_front();
          lock.unlock();
          begin(std::move(t));
          ++running;
          lock.lock();
        }
      }
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
        if (m->msg == CURLMSG_DONE) {
          finish(m->easy_handle, m->data.result);
        }
      }
      curl_multi_poll(multi, nullptr, 0, 200, nullptr);
    }
    // Shutdown: everything still running or queued is answered, none silently dropped.
    for (CURL* h : std::vector<CURL*>(active)) {
      Transfer* t = nullptr;
      curl_easy_getinfo(h, CURLINFO_PRIVATE, &t);
      t->write_error = "shutdown";
      finish(h, CURLE_ABORTED_BY_CALLBACK);
    }
    std::lock_guard lock(mutex);
    for (auto& t : queue) {
      DownloadResult r;
      r.url = t->url;
      r.error = "shutdown";
      t->done(std::move(r));
    }
    queue.clear();
  }
};

Result<std::unique_ptr<Downloader>> Downloader::start(DownloadOptions options,
                                                      artifacts::ArtifactStore& artifacts) {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) {
    return Error{std::string("libcurl: ") + curl_easy_strerror(global)};
  }
  auto guard = AddressGuard::with_allowlist(options.allow);
  if (!guard) {
    return guard.failure();
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(*guard), artifacts);
  impl->multi = curl_multi_init();
  if (impl->multi == nullptr) {
    return Error{"libcurl: cannot create a multi handle"};
  }
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<Downloader>(new Downloader(std::move(impl)));
}

Downloader::Downloader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Downloader::~Downloader() {
  stop();
  if (impl_->multi != nullptr) {
    curl_multi_cleanup(impl_->multi);
  }
}

bool Downloader::fetch(std::string url, std::string session_id, Done done) {
  if (!fetchable(url) || impl_->stopping) {
    ++impl_->rejected;
    return false;
  }
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->queue.size() >= impl_->options.max_queued) {
      ++impl_->rejected;
      return false;
    }
    auto t = std::make_unique<Transfer>();
    t->url = std::move(url);
    t->session_id = std::move(session_id);
    t->done = std::move(done);
    impl_->queue.push_back(std::move(t));
  }
  curl_multi_wakeup(impl_->multi);
  return true;
}

void Downloader::stop() {
  if (impl_->thread.joinable()) {
    impl_->stopping = true;
    curl_multi_wakeup(impl_->multi);
    impl_->thread.join();
  }
}

Downloader::Stats Downloader::stats() const {
  return {impl_->started, impl_->succeeded, impl_->failed, impl_->refused, impl_->rejected};
}

}  // namespace mitsu::sensor
