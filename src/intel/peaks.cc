#include "intel/peaks.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace mitsu::intel {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) {
    return 0;
  }
  std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2;
  }
  return m;
}

}  // namespace

std::vector<PeakDay> detect_peaks(const std::vector<double>& values, const PeakOptions& options,
                                  std::size_t start) {
  std::vector<PeakDay> out;
  for (std::size_t i = start + static_cast<std::size_t>(options.min_history); i < values.size();
       ++i) {
    std::size_t begin = std::max(start, i > static_cast<std::size_t>(options.window)
                                            ? i - static_cast<std::size_t>(options.window)
                                            : std::size_t{0});
    std::vector<double> history(values.begin() + static_cast<std::ptrdiff_t>(begin),
                                values.begin() + static_cast<std::ptrdiff_t>(i));
    double base = median(history);
    std::vector<double> deviations;
    for (double h : history) {
      deviations.push_back(std::fabs(h - base));
    }
    // MAD in standard-deviation units, never below a count's own Poisson spread (a quiet series
    // has MAD 0 and would call every extra session a peak).
    double spread = std::max({1.4826 * median(deviations), std::sqrt(base), 1.0});
    double excess = values[i] - base;
    double score = excess / spread;
    if (score >= options.threshold && excess >= options.min_excess &&
        excess >= options.min_excess_share * base) {
      out.push_back({i, values[i], base, score});
    }
  }
  return out;
}

Result<std::vector<Peak>> find_peaks(store::RollupStore& rollups, std::int64_t from_day,
                                     std::int64_t to_day, const std::vector<CveEntry>& catalog,
                                     const PeakOptions& options) {
  std::int64_t history_from = from_day - options.window;
  Stats stats(rollups);
  auto daily = [&](store::Measure measure, const std::string& dim,
                   const std::vector<store::RollupFilter>& filters, std::int64_t from,
                   std::int64_t to) {
    return stats.daily(measure, dim, {from, to}, filters);
  };
  std::vector<Peak> peaks;
  // History starts when collection started: the first day anything was counted.
  auto totals = daily(store::Measure::kSessions, "", {}, history_from, to_day);
  if (!totals) {
    return totals.failure();
  }
  std::size_t start = 0;
  if (auto it = totals->find("total"); it != totals->end()) {
    while (start < it->second.size() && it->second[start] == 0) {
      ++start;
    }
  }
  const std::vector<std::string> series_dims{"", "protocol", "port", "country", "device_type"};
  for (const std::string& dim : series_dims) {
    auto by_key = daily(store::Measure::kSessions, dim, {}, history_from, to_day);
    if (!by_key) {
      return by_key.failure();
    }
    for (const auto& [key, values] : *by_key) {
      std::vector<PeakDay> days = detect_peaks(values, options, start);
      // A run of consecutive peak days is one peak, at its highest score.
      for (std::size_t i = 0; i < days.size();) {
        std::size_t j = i;
        std::size_t best = i;
        while (j + 1 < days.size() && days[j + 1].index == days[j].index + 1) {
          ++j;
          if (days[j].score > days[best].score) {
            best = j;
          }
        }
        const PeakDay& d = days[best];
        std::int64_t day = history_from + static_cast<std::int64_t>(d.index);
        if (day >= from_day) {
          Peak p;
          p.series = dim.empty() ? "total" : fmt::format("{}={}", dim, key);
          p.day = day;
          p.value = d.value;
          p.baseline = d.baseline;
          p.score = d.score;
          std::vector<store::RollupFilter> filters;
          if (!dim.empty()) {
            filters.push_back({dim, key});
          }
          // Attribution: which values of each dimension rose above their own baseline.
          double peak_excess = d.value - d.baseline;
          for (const char* driver_dim : {"protocol", "port", "rule", "asn", "country"}) {
            if (driver_dim == dim) {
              continue;
            }
            bool rule = std::string_view(driver_dim) == "rule";
            std::vector<store::RollupFilter> driver_filters = filters;
            if (rule && !dim.empty() && dim != "protocol" && dim != "port" && dim != "country") {
              continue;  // the exploit rollups have no persona dimension
            }
            auto values_by = daily(rule ? store::Measure::kExploits : store::Measure::kSessions,
                                   driver_dim, driver_filters, day - options.window, day + 1);
            if (!values_by) {
              return values_by.failure();
            }
            std::vector<Driver> found;
            for (const auto& [value, series] : *values_by) {
              std::vector<double> history(series.begin(), series.end() - 1);
              double excess = series.back() - median(history);
              if (excess > 0 && excess >= 0.1 * peak_excess) {
                // A value can rise by more than the whole series when others fell that day: its
                // share of the peak is then all of it, never over 100 %.
                found.push_back({driver_dim, value, excess, std::min(1.0, excess / peak_excess)});
              }
            }
            std::sort(found.begin(), found.end(),
                      [](const Driver& a, const Driver& b) { return a.excess > b.excess; });
            found.resize(std::min<std::size_t>(found.size(), 3));
            p.drivers.insert(p.drivers.end(), found.begin(), found.end());
          }
          // Disclosures in the days before, on what drove the peak.
          auto driven = [&](std::string_view dimension, std::string_view value) {
            if (dim == dimension && key == value) {
              return true;
            }
            return std::any_of(p.drivers.begin(), p.drivers.end(), [&](const Driver& x) {
              return x.dimension == dimension && x.value == value;
            });
          };
          for (const CveEntry& e : catalog) {
            if (e.published_day > day || e.published_day < day - options.disclosure_lookback) {
              continue;
            }
            bool port_fits =
                e.ports.empty() || std::any_of(e.ports.begin(), e.ports.end(), [&](int port) {
                  return driven("port", std::to_string(port));
                });
            if ((!e.rule.empty() && driven("rule", e.rule)) ||
                (driven("protocol", e.protocol) && port_fits)) {
              p.disclosures.push_back(e);
            }
          }
          std::sort(p.disclosures.begin(), p.disclosures.end(),
                    [](const CveEntry& a, const CveEntry& b) {
                      return a.published_day > b.published_day;
                    });
          peaks.push_back(std::move(p));
        }
        i = j + 1;
      }
    }
  }
  std::sort(peaks.begin(), peaks.end(), [](const Peak& a, const Peak& b) {
    return a.day != b.day ? a.day < b.day : a.series < b.series;
  });
  return peaks;
}

}  // namespace mitsu::intel
