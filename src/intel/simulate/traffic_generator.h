#pragma once
// `mitsu simulate`: synthetic but realistic multi-year attack traffic as schema-valid events —
// daily scan waves with a weekly rhythm and slow growth, brute-force campaigns, exploit bursts in
// the days after each catalogued disclosure, malware delivery — from addresses spread over the
// world (drawn from the GeoIP data, so enrichment places them where the generator meant), with
// optional injected peaks. It keeps the ground truth the tests compare statistics against.

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/uuid.h"
#include "intel/cve_catalog.h"
#include "intel/geo/geo_database.h"

namespace mitsu::intel {

struct InjectedPeak {
  std::int64_t day = 0;  // UTC days since 1970-01-01
  std::string protocol;  // a registered protocol: telnet, ssh, http, ftp, tftp, smb, ssdp
  double factor = 1.0;   // extra sessions, as a multiple of that day's baseline total
};

struct SimulationOptions {
  std::int64_t first_day = 17167;  // 2017-01-01
  int days = 365;
  std::uint64_t seed = 1;
  double sessions_per_day = 2000;  // baseline at the start, before weekly rhythm and noise
  double yearly_growth = 0.3;      // the baseline grows by this share per year
  double noise = 0.08;             // day-to-day lognormal sigma
  bool disclosure_bursts = true;   // exploit bursts after catalogue disclosures in the range
  std::vector<InjectedPeak> peaks;
  std::vector<CveEntry> catalog;  // disclosures to burst after (with a rule id)
  std::vector<std::string> sites{"tokyo", "frankfurt", "virginia"};
  // Malware: share of delivered payloads that are a sample never delivered before.
  double new_sample_share = 0.25;
};

// What the generator produced, for the tests: sessions per (day, country), (day, protocol),
// (day, class); events per day; new samples per day.
struct GroundTruth {
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> sessions_by_country;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> sessions_by_protocol;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> sessions_by_class;
  std::map<std::int64_t, std::int64_t> events_by_day;
  std::map<std::int64_t, std::int64_t> new_samples_by_day;
  std::uint64_t sessions = 0;
  std::uint64_t events = 0;
};

// A simulated sample: what a verdict would say about it (the files do not exist).
struct SimulatedSample {
  std::string sha256;
  std::int64_t first_day = 0;
  std::string family;
  std::string arch;
  bool known = false;
  std::string target;  // iot or pc
  std::vector<std::string> domains;
};

class TrafficGenerator {
 public:
  // `geo` places addresses in countries (may be empty: then addresses are random and have no
  // country); it is only read.
  TrafficGenerator(SimulationOptions options, GeoResolver& geo);

  // Calls `emit` with each event's JSON text, in time order within each day. An empty `emit`
  // only counts (the ground truth is the same).
  void run(const std::function<void(std::string&&)>& emit);

  const GroundTruth& truth() const { return truth_; }
  const std::vector<SimulatedSample>& samples() const { return samples_; }

 private:
  struct Source {
    std::string ip;
    std::string country;
  };
  struct Persona {
    const char* device_type;
    const char* vendor;
    const char* model;
  };
  struct Plan;  // one session to write
  void build_address_pools();
  const Source& pick_source(std::mt19937_64& random, int botnet);
  void write_session(const Plan& plan, const std::function<void(std::string&&)>& emit);
  std::string sample_for_delivery(std::int64_t day);

  SimulationOptions options_;
  GeoResolver& geo_;
  std::mt19937_64 random_;
  Uuid7Generator ids_;
  std::vector<std::pair<std::string, double>> country_weights_;
  std::map<std::string, std::vector<Source>> pools_;  // per country
  std::vector<Source> botnet_;                        // sources behind injected peaks
  std::discrete_distribution<std::size_t> country_pick_;
  std::vector<std::string> pool_countries_;
  GroundTruth truth_;
  std::vector<SimulatedSample> samples_;
};

}  // namespace mitsu::intel
