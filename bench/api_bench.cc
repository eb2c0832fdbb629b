// bench/api: the API under load, in one run (release build).
//   1. endpoints: p50/p99 of /stats/overview and /stats/series over the stored events, under
//      CLIENTS concurrent keep-alive HTTPS clients (libcurl, one thread and connection each),
//      against the same server answering a static JSON body of the same size on a route with
//      the same token check: same TLS, threads, connections and bytes; only the handler differs.
//   2. live stream: collector throughput on the same spooled events with no subscriber and with
//      8 subscribers that match everything (each drained every 50 ms, as a stream is).
//   3. latency at RATE events/s: from appending an attacker's command to the spool to its event
//      arriving on the live stream (over HTTPS), and to its alert arriving at a webhook receiver.
//      The sensor's own step (command parsed → spool) is not in it; it is sub-millisecond.
// Usage: mitsu_bench_api DATA_DIR [CLIENTS=50] [REQUESTS_PER_CLIENT=200] [RATE=10000]
// DATA_DIR holds the store for part 1: fill it first, e.g. for 22M+ events
//   mitsu -d DATA_DIR simulate --from 2025-01-01 --days 365 --sessions-per-day 12000

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/alerts/alert_delivery.h"
#include "api/auth/accounts.h"
#include "api/live/live_hub.h"
#include "api/server/serve.h"
#include "app/platform.h"
#include "bench_api_support.h"
#include "bench_support.h"
#include "collector/collector_thread.h"
#include "core/clock.h"
#include "testing/synthetic_events.h"
#include "testing/temp_dir.h"

using namespace mitsu;
using Clock = std::chrono::steady_clock;

namespace {

std::string make_token(store::AccountStore& accounts) {
  auto user = api::create_user(accounts, "bench", api::Role::kAnalyst, "bench password 1234",
                               "bench", now_unix_us());
  if (!user && user.error_kind() != ErrorKind::kConflict) {
    bench::die(user.error());
  }
  auto token = api::issue_token(accounts, "bench", std::nullopt, "bench", std::nullopt, "bench",
                                now_unix_us());
  if (!token) {
    bench::die(token.error());
  }
  return token->secret;
}

void part_endpoints(const std::filesystem::path& data, int clients, int requests) {
  app::Config config;
  config.data_dir = data;
  config.api.port = 0;
  config.api.threads = 4;
  config.log_level = "warn";
  auto running = api::start_api(config);
  if (!running) {
    bench::die(running.error());
  }
  api::RunningApi& r = **running;
  std::string token = make_token(*r.platform->store.accounts);
  auto events = r.platform->store.events->count();
  fmt::print("api: {} stored events, {} clients x {} requests, {} server threads\n",
             events ? *events : 0, clients, requests, config.api.threads);
  bench::HttpsClients http(r.url.substr(0, r.url.find("/api/v1")), data / "api-tls" / "cert.pem",
                           token);
  std::string overview = http.get_once("/api/v1/stats/overview");
  std::string series = http.get_once("/api/v1/stats/series?measure=sessions&by=protocol");
  // The baselines answer bodies of exactly these sizes, behind the same authentication.
  for (auto [path, size] : {std::pair{"/bench/static-overview", overview.size()},
                            {"/bench/static-series", series.size()}}) {
    std::string body = nlohmann::json({{"pad", std::string(size - 10, 'x')}}).dump();
    r.api.router->add(api::Route{
        "GET", path, api::kReaders, {}, [body](const api::RouteContext&) {
          return Result<api::ApiResponse>(api::ApiResponse{200, "application/json", body, {}});
        }});
  }
  fmt::print("  bodies: overview {} B, series {} B\n", overview.size(), series.size());
  // Three ways for each endpoint, like for like: the static body, the answer with the shipped
  // stats cache (5 s, so the run measures mostly kept answers plus one computation per 5 s), and
  // with the cache off, every request computed (they queue on the store's one connection). One
  // client without the cache gives the computation's own cost.
  for (auto [name, path, baseline] :
       {std::tuple{"overview", "/api/v1/stats/overview", "/bench/static-overview"},
        {"series", "/api/v1/stats/series?measure=sessions&by=protocol", "/bench/static-series"}}) {
    http.run(baseline, clients, requests / 4);  // warm both the same way
    http.run(path, clients, requests / 4);
    bench::Latencies base = http.run(baseline, clients, requests);
    r.api.context->stats_cache = std::chrono::seconds(config.api.stats_cache_seconds);
    bench::Latencies cached = http.run(path, clients, requests);
    r.api.context->stats_cache = std::chrono::milliseconds(0);
    bench::Latencies computed = http.run(path, clients, requests);
    bench::Latencies alone = http.run(path, 1, std::max(5, requests / 4));
    fmt::print("  {:9} static        p50 {:8.2f} ms  p99 {:8.2f} ms  {:7.0f} req/s\n", name,
               base.p(50), base.p(99), base.per_second());
    for (auto [how, l] : {std::pair{"cached (5 s)", &cached}, {"computed", &computed}}) {
      fmt::print(
          "  {:9} {:13} p50 {:8.2f} ms  p99 {:8.2f} ms  {:7.0f} req/s  ratio to static p50 "
          "{:.1f}x  p99 {:.1f}x\n",
          name, how, l->p(50), l->p(99), l->per_second(), l->p(50) / base.p(50),
          l->p(99) / base.p(99));
    }
    fmt::print("  {:9} one client, computed: p50 {:.2f} ms  p99 {:.2f} ms\n", name, alone.p(50),
               alone.p(99));
  }
}

// Spools `n` synthetic events into a fresh data dir, then times the collector draining them.
double drain_rate(const std::filesystem::path& dir, std::size_t n, int subscribers,
                  std::size_t batch_records) {
  app::Config config;
  config.data_dir = dir;
  config.collector.batch_records = batch_records;
  config.log_level = "warn";
  auto platform = app::Platform::open(config, /*with_spool=*/true);
  if (!platform) {
    bench::die(platform.error());
  }
  app::Platform& p = **platform;
  testing::SyntheticEvents source;
  std::vector<std::string> batch;
  for (std::size_t i = 0; i < n; ++i) {
    batch.push_back(source.next());
    if (batch.size() == 10000 || i + 1 == n) {
      if (Status s = p.spool->append_batch(batch); !s) {
        bench::die(s.error());
      }
      batch.clear();
    }
  }
  api::LiveHub hub;
  std::vector<std::shared_ptr<api::LiveSubscription>> subs;
  for (int i = 0; i < subscribers; ++i) {
    subs.push_back(hub.subscribe(api::LiveFilter{}));
  }
  p.collector->set_committed_observer(
      [&hub](std::span<const Event* const> fresh) { hub.publish_events(fresh); });
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> delivered{0};
  std::vector<std::thread> readers;
  for (auto& s : subs) {
    readers.emplace_back([&, s] {
      std::string out;
      while (!done) {
        out.clear();
        s->take(out);
        delivered += out.size();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  auto started = Clock::now();
  auto moved = p.collector->drain();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  done = true;
  for (auto& t : readers) {
    t.join();
  }
  if (!moved || *moved != n) {
    bench::die(fmt::format("drained {} of {}", moved ? *moved : 0, n));
  }
  if (subscribers > 0 && hub.dropped() > 0) {
    fmt::print("  ({} of {} subscribers were dropped as too slow)\n", hub.dropped(), subscribers);
  }
  return static_cast<double>(n) / seconds;
}

void part_stream_cost(const std::filesystem::path& scratch) {
  constexpr std::size_t kEvents = 1'000'000;
  // Live, batches are small (the collector drains every 20 ms); catching up on a backlog, they
  // are the configured 20,000, more than a subscriber's 4 MiB queue holds: those drop it.
  for (std::size_t batch : {std::size_t{2000}, std::size_t{20000}}) {
    double none = drain_rate(scratch / fmt::format("cost-0-{}", batch), kEvents, 0, batch);
    double eight = drain_rate(scratch / fmt::format("cost-8-{}", batch), kEvents, 8, batch);
    fmt::print(
        "stream cost (batches of {}): collector {:.0f} events/s with no subscriber, {:.0f} with 8 "
        "matching everything ({:+.1f}%), same {} events\n",
        batch, none, eight, 100.0 * (eight - none) / none, kEvents);
  }
}

void part_latency(const std::filesystem::path& dir, int rate) {
  bench::WebhookReceiver receiver;
  std::filesystem::create_directories(dir);
  std::filesystem::path rules = dir / "alerts.toml";
  // Alerts at a SOC's pace, not one per session: only the marked commands (outcome "success",
  // ten a second; synthetic commands carry no outcome) raise one.
  std::ofstream(rules) << "[[alert]]\nid = \"bench-command\"\non = \"command\"\n"
                          "outcome = \"success\"\n"
                          "title = \"command in {session_id}\"\nkey = \"{session_id}\"\n"
                          "per_hour = 100000\n";
  app::Config config;
  config.data_dir = dir;
  config.log_level = "warn";
  config.api.port = 0;
  config.alerts.rules = rules;
  config.alerts.webhooks = {{"bench", fmt::format("http://127.0.0.1:{}/hook", receiver.port())}};
  auto platform = app::Platform::open(config, /*with_spool=*/true);
  if (!platform) {
    bench::die(platform.error());
  }
  app::Platform& p = **platform;
  api::LiveHub hub;
  intel::AlertEngine* engine = p.alert_engine.get();
  p.collector->set_committed_observer([&](std::span<const Event* const> fresh) {
    hub.publish_events(fresh);
    hub.publish_alerts(engine->take_raised());
  });
  auto running = api::start_api(p.config, &hub);
  if (!running) {
    bench::die(running.error());
  }
  std::string token = make_token(*p.store.accounts);
  std::mutex mutex;
  std::map<std::string, Clock::time_point> sent;  // command event id -> appended
  std::map<std::string, Clock::time_point> first_of_session;
  bench::Latencies to_stream, to_webhook;
  receiver.on_body([&](const nlohmann::json& alert) {
    auto now = Clock::now();
    std::lock_guard lock(mutex);
    auto it = first_of_session.find(alert["detail"].value("session_id", ""));
    if (it != first_of_session.end()) {
      to_webhook.add(now - it->second);
    }
  });
  auto delivery = api::start_alert_delivery(p.config, *p.store.alerts);
  if (!delivery || !*delivery) {
    bench::die("no alert delivery");
  }
  collector::CollectorThread collector(*p.collector, collector::CollectorThread::OnError::kRetry);

  bench::SseReader sse((*running)->url + "/stream?kinds=event&action=command",
                       dir / "api-tls" / "cert.pem", token, [&](const nlohmann::json& event) {
                         auto now = Clock::now();
                         std::lock_guard lock(mutex);
                         auto it = sent.find(event["event"]["id"].get<std::string>());
                         if (it != sent.end()) {
                           to_stream.add(now - it->second);
                         }
                       });
  sse.wait_open();
  testing::SyntheticEvents source;
  constexpr auto kSeconds = 20;
  constexpr auto kTick = std::chrono::milliseconds(10);
  std::size_t per_tick = static_cast<std::size_t>(rate) / 100;
  auto next = Clock::now();
  std::size_t appended = 0;
  for (int tick = 0; tick < kSeconds * 100; ++tick) {
    std::vector<std::string> batch;
    for (std::size_t i = 0; i < per_tick; ++i) {
      batch.push_back(source.next());
    }
    auto now = Clock::now();
    {
      std::lock_guard lock(mutex);
      bool marked = tick % 10 == 0;
      for (std::string& text : batch) {
        if (text.find("\"action\":\"command\"") == std::string::npos) {
          continue;
        }
        auto e = nlohmann::json::parse(text);
        sent.emplace(e["event"]["id"], now);
        if (marked && !first_of_session.contains(e["mitsu"]["session"]["id"])) {
          e["event"]["outcome"] = "success";
          text = e.dump();
          first_of_session.emplace(e["mitsu"]["session"]["id"], now);
          marked = false;
        }
      }
    }
    if (Status s = p.spool->append_batch(batch); !s) {
      bench::die(s.error());
    }
    appended += batch.size();
    next += kTick;
    std::this_thread::sleep_until(next);
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));  // the last arrivals
  std::lock_guard lock(mutex);
  fmt::print("latency at {} events/s for {} s ({} events, {} commands, {} alerts):\n", rate,
             kSeconds, appended, sent.size(), first_of_session.size());
  fmt::print("  command -> live stream: p50 {:.0f} ms  p99 {:.0f} ms  ({} of {} arrived)\n",
             to_stream.p(50), to_stream.p(99), to_stream.count(), sent.size());
  fmt::print("  command -> webhook:     p50 {:.0f} ms  p99 {:.0f} ms  ({} of {} arrived)\n",
             to_webhook.p(50), to_webhook.p(99), to_webhook.count(), first_of_session.size());
  sse.stop();
  (*delivery)->stop();
  if (Status s = collector.finish(); !s) {
    bench::die(s.error());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    bench::die("usage: mitsu_bench_api DATA_DIR [CLIENTS=50] [REQUESTS_PER_CLIENT=200] [RATE]");
  }
  std::filesystem::path data = argv[1];
  int clients = argc > 2 ? std::atoi(argv[2]) : 50;
  int requests = argc > 3 ? std::atoi(argv[3]) : 200;
  int rate = argc > 4 ? std::atoi(argv[4]) : 10000;
  spdlog::set_level(spdlog::level::warn);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  part_endpoints(data, clients, requests);
  testing::TempDir scratch("bench-api");
  part_stream_cost(scratch.path());
  part_latency(scratch.path() / "latency", rate);
  curl_global_cleanup();
  return 0;
}
