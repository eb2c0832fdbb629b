#include "api/alerts/alert_delivery.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "core/clock.h"
#include "core/safe_text.h"
#include "intel/alerts/alert_engine.h"

namespace mitsu::api {
namespace {

constexpr std::int64_t kSecondUs = 1'000'000;
constexpr std::int64_t kMaxBackoffUs = 300 * kSecondUs;
constexpr long kTimeoutMs = 5000;

std::int64_t backoff_us(int attempts) {
  return std::min(kMaxBackoffUs, kSecondUs << std::min(attempts, 20));
}

// RFC 5424 severity for the alert's: critical 2, high 3 (error), medium 4 (warning), low 5.
int syslog_severity(std::string_view severity) {
  return severity == "critical" ? 2 : severity == "high" ? 3 : severity == "medium" ? 4 : 5;
}

// A structured-data parameter value: '"', '\' and ']' escaped (RFC 5424 6.3.3).
std::string sd_escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '"' || c == '\\' || c == ']') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

AlertDelivery::AlertDelivery(store::AlertStore& alerts, std::vector<WebhookSink> webhooks,
                             std::optional<SyslogSink> syslog)
    : alerts_(alerts), webhooks_(std::move(webhooks)), syslog_(std::move(syslog)) {}

AlertDelivery::~AlertDelivery() {
  stop();
}

std::vector<std::string> AlertDelivery::sink_names() const {
  std::vector<std::string> names;
  for (const WebhookSink& w : webhooks_) {
    names.push_back(w.name);
  }
  if (syslog_) {
    names.emplace_back(intel::kSyslogSink);
  }
  return names;
}

Status AlertDelivery::post(const WebhookSink& sink, const std::string& body,
                           std::int64_t alert_id) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return Error{"curl_easy_init failed"};
  }
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  std::string key = fmt::format("Idempotency-Key: {}", alert_id);
  headers = curl_slist_append(headers, key.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, sink.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // The answer's body is not needed.
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t n, void*) -> size_t { return size * n; });
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Error::unavailable(curl_easy_strerror(rc));
  }
  if (status < 200 || status > 299) {
    return Error::unavailable(fmt::format("HTTP {}", status));
  }
  return Status::success();
}

Status AlertDelivery::send_syslog(const store::AlertRecord& alert, const std::string& body) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(syslog_->port);
  if (::getaddrinfo(syslog_->host.c_str(), port.c_str(), &hints, &found) != 0 || !found) {
    return Error::unavailable(fmt::format("syslog host {} does not resolve", syslog_->host));
  }
  char host[256] = "-";
  ::gethostname(host, sizeof host - 1);
  int pri = 16 * 8 + syslog_severity(alert.severity);  // facility local0
  std::string message = fmt::format(
      "<{}>1 {} {} mitsu - ALERT [mitsu@32473 id=\"{}\" rule=\"{}\" severity=\"{}\"] {} {}", pri,
      format_timestamp_us(alert.first_us), host, alert.id, sd_escape(alert.rule),
      sd_escape(alert.severity), terminal_safe(alert.title), body);
  int fd = ::socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ssize_t sent =
      fd < 0 ? -1
             : ::sendto(fd, message.data(), message.size(), 0, found->ai_addr, found->ai_addrlen);
  if (fd >= 0) {
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return sent == static_cast<ssize_t>(message.size())
             ? Status::success()
             : Status(Error::unavailable("syslog: the datagram was not sent"));
}

Result<std::size_t> AlertDelivery::deliver_due(std::int64_t now_us) {
  std::size_t delivered = 0;
  for (const std::string& sink : sink_names()) {
    auto due = alerts_.due(sink, now_us, 100);
    if (!due) {
      return due.failure();
    }
    for (const store::OutboxItem& item : *due) {
      auto alert = alerts_.alert(item.alert_id);
      if (!alert || !alert->has_value()) {
        return !alert ? alert.failure() : Error{"an outbox row names a missing alert"};
      }
      std::string body = intel::alert_json_text(**alert);
      Status sent;
      if (sink == intel::kSyslogSink) {
        sent = send_syslog(**alert, body);
      } else {
        auto hook = std::find_if(webhooks_.begin(), webhooks_.end(),
                                 [&](const WebhookSink& w) { return w.name == sink; });
        sent = post(*hook, body, item.alert_id);
      }
      Status recorded =
          sent ? alerts_.delivered(item.id, now_us)
               : alerts_.retry_later(item.id, now_us + backoff_us(item.attempts), sent.error());
      if (!recorded) {
        return recorded.failure();
      }
      if (sent) {
        ++delivered;
      } else {
        spdlog::warn("alerts: {} could not take alert {} ({}); retrying", sink, item.alert_id,
                     sent.error());
      }
    }
  }
  return delivered;
}

void AlertDelivery::start(std::chrono::milliseconds poll) {
  thread_ = std::thread([this, poll] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      if (auto done = deliver_due(now_unix_us()); !done) {
        spdlog::error("alerts: {}", done.error());
      }
      lock.lock();
      wake_.wait_for(lock, poll, [this] { return stopping_; });
    }
  });
}

void AlertDelivery::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace mitsu::api
