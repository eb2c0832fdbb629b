#include "intel/stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mitsu::intel {

using store::Measure;
using store::RollupFilter;
using store::RollupQuery;
using store::RollupRow;

Result<std::vector<RollupRow>> Stats::top(Measure measure, const std::string& dimension,
                                          DayRange range, const std::vector<RollupFilter>& filters,
                                          std::size_t n) {
  RollupQuery q;
  q.measure = measure;
  q.group_by = {dimension};
  q.filters = filters;
  if (measure != Measure::kDomains) {
    q.from_day = range.from_day;
    q.to_day = range.to_day;
  }
  q.limit = n;
  return rollups_.query(q);
}

Result<Ranking> Stats::ranking(Measure measure, const std::string& dimension, DayRange range,
                               const std::vector<RollupFilter>& filters, std::size_t n) {
  auto all = top(measure, dimension, range, filters, 0);
  if (!all) {
    return all.failure();
  }
  Ranking ranking;
  for (const RollupRow& row : *all) {
    ranking.total += static_cast<double>(row.value);
  }
  // Every group arrives in key order; a stable sort by value keeps the key order of ties, as
  // top()'s ORDER BY value DESC, keys does.
  ranking.rows = std::move(*all);
  std::stable_sort(ranking.rows.begin(), ranking.rows.end(),
                   [](const RollupRow& a, const RollupRow& b) { return a.value > b.value; });
  if (n > 0 && ranking.rows.size() > n) {
    ranking.rows.resize(n);
  }
  return ranking;
}

Result<std::map<std::string, std::vector<double>>> Stats::daily(
    Measure measure, const std::string& dimension, DayRange range,
    const std::vector<RollupFilter>& filters) {
  RollupQuery q;
  q.measure = measure;
  q.group_by = {"day"};
  if (!dimension.empty()) {
    q.group_by.push_back(dimension);
  }
  q.filters = filters;
  q.from_day = range.from_day;
  q.to_day = range.to_day;
  auto rows = rollups_.query(q);
  if (!rows) {
    return rows.failure();
  }
  std::map<std::string, std::vector<double>> out;
  for (const RollupRow& row : *rows) {
    auto day = store::parse_day(row.keys[0]);
    auto& values = out[dimension.empty() ? "total" : row.keys[1]];
    values.resize(range.days(), 0);
    values[static_cast<std::size_t>(*day - range.from_day)] += static_cast<double>(row.value);
  }
  return out;
}

Result<std::vector<double>> Stats::series(Measure measure, DayRange range,
                                          const std::vector<RollupFilter>& filters) {
  auto by = daily(measure, "", range, filters);
  if (!by) {
    return by.failure();
  }
  auto total = by->find("total");
  return total != by->end() ? total->second : std::vector<double>(range.days(), 0);
}

Result<std::map<std::string, std::vector<double>>> Stats::series_by(
    Measure measure, const std::string& dimension, DayRange range,
    const std::vector<RollupFilter>& filters, std::size_t n) {
  auto leaders = top(measure, dimension, range, filters, n);
  if (!leaders) {
    return leaders.failure();
  }
  auto all = daily(measure, dimension, range, filters);
  if (!all) {
    return all.failure();
  }
  std::map<std::string, std::vector<double>> out;
  for (const RollupRow& leader : *leaders) {
    out[leader.keys[0]].assign(range.days(), 0);
  }
  for (auto& [key, values] : *all) {
    auto it = out.find(key);
    if (it != out.end()) {
      it->second = std::move(values);
      continue;
    }
    auto& other = out.try_emplace("other", range.days(), 0).first->second;
    for (std::size_t i = 0; i < values.size(); ++i) {
      other[i] += values[i];
    }
  }
  return out;
}

Result<std::optional<double>> Stats::unknown_share(DayRange range) {
  auto rows = top(Measure::kSamples, "known", range, {}, 0);
  if (!rows) {
    return rows.failure();
  }
  double known = 0, unknown = 0;
  for (const RollupRow& row : *rows) {
    if (row.keys[0] == "1") {
      known += static_cast<double>(row.value);
    } else if (row.keys[0] == "0") {
      unknown += static_cast<double>(row.value);
    }
  }
  if (known + unknown == 0) {
    return std::optional<double>();
  }
  return std::optional<double>(unknown / (known + unknown));
}

Result<Correlation> Stats::attacks_vs_malware(DayRange range) {
  auto sessions = series(Measure::kSessions, range, {});
  auto samples = series(Measure::kSamples, range, {});
  auto classes = top(Measure::kSessions, "class", range, {}, 0);
  if (!sessions || !samples || !classes) {
    return Error{!sessions ? sessions.error() : !samples ? samples.error() : classes.error()};
  }
  Correlation c;
  c.sessions = std::accumulate(sessions->begin(), sessions->end(), 0.0);
  c.samples = std::accumulate(samples->begin(), samples->end(), 0.0);
  for (const RollupRow& row : *classes) {
    if (c.sessions > 0 && row.keys[0] == "malware_delivery") {
      c.delivery_share = static_cast<double>(row.value) / c.sessions;
    }
    if (c.sessions > 0 && row.keys[0] == "scan") {
      c.scan_share = static_cast<double>(row.value) / c.sessions;
    }
  }
  std::size_t n = sessions->size();
  if (n > 1) {
    double mx = c.sessions / static_cast<double>(n), my = c.samples / static_cast<double>(n);
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double dx = (*sessions)[i] - mx, dy = (*samples)[i] - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    c.pearson = sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
  }
  return c;
}

Result<std::optional<DayRange>> Stats::data_range() {
  RollupQuery q;
  q.measure = Measure::kSessions;
  q.group_by = {"day"};
  auto rows = rollups_.query(q);
  if (!rows) {
    return rows.failure();
  }
  if (rows->empty()) {
    return std::optional<DayRange>();
  }
  return std::optional<DayRange>(DayRange{*store::parse_day(rows->front().keys[0]),
                                          *store::parse_day(rows->back().keys[0]) + 1});
}

Result<DayRange> Stats::resolve_range(const std::string& from, const std::string& to,
                                      std::string_view from_name, std::string_view to_name) {
  auto data = data_range();
  if (!data) {
    return data.failure();
  }
  DayRange range = data->value_or(DayRange{0, 0});
  if (!from.empty()) {
    auto day = store::parse_day(from);
    if (!day) {
      return Error::invalid(fmt::format("{} '{}' is not a date (YYYY-MM-DD)", from_name, from));
    }
    range.from_day = *day;
  }
  if (!to.empty()) {
    auto day = store::parse_day(to);
    if (!day) {
      return Error::invalid(fmt::format("{} '{}' is not a date (YYYY-MM-DD)", to_name, to));
    }
    range.to_day = *day + 1;
  }
  if (range.to_day <= range.from_day) {
    return Error::invalid(data->has_value() ? "the date range is empty"
                                            : "nothing is stored yet (try `mitsu simulate`)");
  }
  if (range.days() > kMaxRangeDays) {  // a day's values per group: bounds memory per query
    return Error::invalid(fmt::format("the date range is longer than {} days", kMaxRangeDays));
  }
  return range;
}

}  // namespace mitsu::intel
