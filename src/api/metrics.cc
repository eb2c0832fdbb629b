#include "api/metrics.h"

#include <fmt/format.h>

namespace mitsu::api {

void MetricsRegistry::add(MetricSource source) {
  std::lock_guard lock(mutex_);
  sources_.push_back(std::move(source));
}

std::vector<Metric> MetricsRegistry::collect() const {
  std::lock_guard lock(mutex_);
  std::vector<Metric> out;
  for (const MetricSource& source : sources_) {
    source(out);
  }
  return out;
}

std::string metric_label(std::string_view name, std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      escaped.push_back('\\');
      escaped.push_back(c);
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped.push_back(c);
    }
  }
  return fmt::format("{}=\"{}\"", name, escaped);
}

std::string render_prometheus(const std::vector<Metric>& metrics) {
  std::string out;
  for (const Metric& m : metrics) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", m.name, m.help, m.name, m.type);
    for (const auto& [labels, value] : m.values) {
      out += labels.empty() ? fmt::format("{} {}\n", m.name, value)
                            : fmt::format("{}{{{}}} {}\n", m.name, labels, value);
    }
  }
  return out;
}

}  // namespace mitsu::api
