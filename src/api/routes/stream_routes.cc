// The live stream: new events and alerts as Server-Sent Events, filtered per subscriber. It is
// fed by ingest in the same process (mitsu run); `mitsu api` alone has no ingest to follow.

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "api/live/live_hub.h"
#include "api/routes/routes.h"

namespace mitsu::api {
namespace {

// A stream outlives the request that opened it: its credentials are checked again every
// minute (ApiContext::stream_recheck), so a logout, a revoked token, an expired session or a
// demotion ends it.

class SubscriptionBody : public StreamBody {
 public:
  SubscriptionBody(std::shared_ptr<LiveSubscription> subscription, Authenticator& auth,
                   const ApiRequest& request, std::chrono::milliseconds recheck)
      : subscription_(std::move(subscription)),
        auth_(auth),
        recheck_(recheck),
        checked_(Clock::now()) {
    credentials_.headers = request.headers;
    credentials_.peer = request.peer;
    credentials_.method = "GET";
    credentials_.path = request.path;
  }

  bool next(std::string& out) override {
    if (Clock::now() - checked_ >= recheck_) {
      checked_ = Clock::now();
      auto principal = auth_.authenticate(credentials_);
      if (!principal || !*principal ||
          std::find(kReaders.begin(), kReaders.end(), (*principal)->role) == kReaders.end()) {
        out += sse_frame("ended", R"({"reason":"the credentials are no longer valid"})");
        return false;
      }
    }
    if (first_) {
      // Reconnect after 2 s, and a first frame so the client knows the stream is open.
      out += "retry: 2000\n\n";
      out += sse_frame("hello", R"({"stream":"open"})");
      first_ = false;
    }
    return subscription_->take(out);
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::shared_ptr<LiveSubscription> subscription_;
  Authenticator& auth_;
  std::chrono::milliseconds recheck_;
  ApiRequest credentials_;
  Clock::time_point checked_;
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
                         context.live->subscribe(std::move(*filter)), context.auth, rc.request,
                         context.stream_recheck);
                     return response;
                   }});
}

}  // namespace mitsu::api
