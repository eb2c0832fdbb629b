#pragma once
// Fetches the payloads attackers point droppers at (HTTP, HTTPS, FTP, TFTP) on its own thread
// with libcurl's multi interface, so a sensor never waits for one. Each fetch is capped in size
// and time, concurrency is bounded, every connection passes the AddressGuard (after DNS and after
// each redirect), and the bytes stream into the artifact store. Nothing fetched is ever run.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "artifacts/artifact_store.h"
#include "core/result.h"
#include "sensor/download/address_guard.h"

namespace mitsu::sensor {

struct DownloadOptions {
  std::uint64_t max_bytes = 32ULL << 20;
  std::chrono::seconds timeout{60};
  std::size_t max_concurrent = 16;
  std::size_t max_queued = 1000;
  int max_redirects = 5;
  std::size_t keep_in_memory = 1 << 20;  // content handed back to the session (scripts)
  std::vector<std::string> allow;        // CIDRs the guard lets through (tests: 127.0.0.0/8)
  std::string user_agent = "Wget";       // what busybox wget sends
};

struct DownloadResult {
  std::string url;
  bool ok = false;
  std::string error;  // why it failed: refused address, HTTP status, size cap, timeout, …
  long status = 0;    // HTTP/FTP response code where there is one
  std::uint64_t size = 0;
  std::string sha256;   // when ok
  std::string content;  // the bytes, when ok and no larger than keep_in_memory
};

class Downloader {
 public:
  using Done = std::function<void(DownloadResult)>;

  static Result<std::unique_ptr<Downloader>> start(DownloadOptions options,
                                                   artifacts::ArtifactStore& artifacts);
  ~Downloader();

  // Queues a fetch; `done` runs later on the downloader's thread. False when the queue is full
  // or the URL's scheme is not one we fetch (then `done` is not called).
  bool fetch(std::string url, std::string session_id, Done done);

  // Cancels what is queued or running (their `done` gets "shutdown") and joins the thread.
  void stop();

  struct Stats {
    std::uint64_t started = 0, succeeded = 0, failed = 0, refused = 0, rejected = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  explicit Downloader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mitsu::sensor
