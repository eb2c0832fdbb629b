#pragma once
// Prometheus metrics at /metrics (text format 0.0.4): the API's own request counts, what the
// stores say (quarantine, analysis queue, undelivered alerts), and what the running parts add
// as sources (`mitsu run` adds the sensor's connection and event counters).

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mitsu::api {

struct Metric {
  std::string name;  // mitsu_..., with _total for counters
  std::string help;
  std::string type;                                    // "counter" or "gauge"
  std::vector<std::pair<std::string, double>> values;  // label set ("" or sink="soc"), value
};

using MetricSource = std::function<void(std::vector<Metric>&)>;

class MetricsRegistry {
 public:
  void add(MetricSource source);
  std::vector<Metric> collect() const;

 private:
  mutable std::mutex mutex_;
  std::vector<MetricSource> sources_;
};

// The exposition text; label values are escaped as the format requires.
std::string render_prometheus(const std::vector<Metric>& metrics);
std::string metric_label(std::string_view name, std::string_view value);

}  // namespace mitsu::api
