// The live stream: new events and alerts as Server-Sent Events, filtered per subscriber. It is
// fed by ingest in the same process (mitsu run); `mitsu api` alone has no ingest to follow.

#include <nlohmann/json.hpp>

#include "api/live/live_hub.h"
#include "api/routes/routes.h"

namespace mitsu::api {
namespace {

class SubscriptionBody : public StreamBody {
 public:
  explicit SubscriptionBody(std::shared_ptr<LiveSubscription> subscription)
      : subscription_(std::move(subscription)) {}

  bool next(std::string& out) override {
    if (first_) {
      // Reconnect after 2 s, and a first frame so the client knows the stream is open.
      out += "retry: 2000\n\n";
      out += sse_frame("hello", R"({"stream":"open"})");
      first_ = false;
    }
    return subscription_->take(out);
  }

 private:
  std::shared_ptr<LiveSubscription> subscription_;
  bool first_ = true;
};

Result<LiveFilter> filter_of(const Query& query) {
  LiveFilter filter;
  auto kinds =
      query.choice("kinds", {"event,alert", "alert,event", "event", "alert"}, "event,alert");
  auto protocol = query.name("protocol");
  auto sensor = query.name("sensor");
  auto action = query.name("action");
  auto src_ip = query.address("src_ip");
  if (Status s = first_failure(kinds, protocol, sensor, action, src_ip); !s) {
    return s.failure();
  }
  filter.events = kinds->find("event") != std::string::npos;
  filter.alerts = kinds->find("alert") != std::string::npos;
  filter.protocol = *protocol;
  filter.sensor = *sensor;
  filter.action = *action;
  filter.src_ip = *src_ip;
  return filter;
}

}  // namespace

void add_stream_routes(Router& router, ApiContext& context) {
  router.add(Route{"GET",
                   "/api/v1/stream",
                   kReaders,
                   {"kinds", "protocol", "sensor", "action", "src_ip"},
                   [&context](const RouteContext& rc) -> Result<ApiResponse> {
                     auto filter = filter_of(rc.query);
                     if (!filter) {
                       return filter.failure();
                     }
                     if (context.live == nullptr) {
                       return Error::unavailable(
                           "the live stream is served where events are ingested (mitsu run)");
                     }
                     ApiResponse response;
                     response.content_type = "text/event-stream";
                     response.stream = std::make_shared<SubscriptionBody>(
                         context.live->subscribe(std::move(*filter)));
                     return response;
                   }});
}

}  // namespace mitsu::api
