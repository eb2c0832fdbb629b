#pragma once
// Delivers queued alerts from the durable outbox (store/alert_store.h): webhooks get a JSON POST
// (libcurl; 2xx is delivered, anything else is retried with back-off doubling from 1 s to
// 5 min), syslog gets one RFC 5424 message over UDP. A background thread, never on the ingest
// path: a receiver that is down delays only its own deliveries, and what is queued survives a
// restart. Each POST carries `Idempotency-Key: <alert id>` so a receiver can drop the rare
// repeat (a crash between its 2xx and our bookkeeping).

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/alert_store.h"

namespace mitsu::api {

struct WebhookSink {
  std::string name;  // outbox sink name; unique
  std::string url;
};

struct SyslogSink {
  std::string host = "127.0.0.1";
  int port = 514;
};

class AlertDelivery {
 public:
  AlertDelivery(store::AlertStore& alerts, std::vector<WebhookSink> webhooks,
                std::optional<SyslogSink> syslog);
  ~AlertDelivery();

  // The sink names the engine queues alerts for.
  std::vector<std::string> sink_names() const;

  // One pass over every sink: what is due now. Returns how many items were delivered.
  Result<std::size_t> deliver_due(std::int64_t now_us);
  void start(std::chrono::milliseconds poll = std::chrono::milliseconds(200));
  void stop();

 private:
  Status post(const WebhookSink& sink, const std::string& body, std::int64_t alert_id);
  Status send_syslog(const store::AlertRecord& alert, const std::string& body);

  store::AlertStore& alerts_;
  std::vector<WebhookSink> webhooks_;
  std::optional<SyslogSink> syslog_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace mitsu::api
