#include "intel/rollups/query_planner.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "intel/rollups/cubes.h"

namespace mitsu::intel {
namespace {

Result<store::CubeValue> filter_value(const store::RollupFilter& f) {
  if (f.dimension == "day") {
    auto day = store::parse_day(f.value);
    if (!day) {
      return Error{fmt::format("day '{}' is not YYYY-MM-DD", f.value)};
    }
    return store::CubeValue{*day};
  }
  if (integer_dimension(f.dimension)) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(f.value.data(), f.value.data() + f.value.size(), v);
    if (ec != std::errc() || p != f.value.data() + f.value.size()) {
      return Error{fmt::format("{} must be a number, not '{}'", f.dimension, f.value)};
    }
    return store::CubeValue{v};
  }
  return store::CubeValue{f.value};
}

// The first (smallest) cube of the family with every needed dimension, and the time column when
// the query has a range.
std::optional<std::size_t> smallest(CubeFamily family, const std::set<std::string_view>& needed,
                                    std::string_view time_column) {
  auto all = cubes();
  for (std::size_t c = 0; c < all.size(); ++c) {
    const Cube& cube = all[c];
    if (cube.family != family || (!time_column.empty() && !cube.has(time_column))) {
      continue;
    }
    if (std::all_of(needed.begin(), needed.end(),
                    [&](std::string_view d) { return cube.has(d); })) {
      return c;
    }
  }
  return std::nullopt;
}

std::string key_text(std::string_view dim, const store::CubeValue& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) {
    return dim == "day" ? store::format_day(*n) : std::to_string(*n);
  }
  return std::get<std::string>(v);
}

}  // namespace

Result<QueryPlan> plan_query(const store::RollupQuery& query) {
  CubeFamily family = family_of(query.measure);
  auto allowed = store::dimensions_of(query.measure);
  std::set<std::string_view> needed;
  auto check = [&](std::string_view dim) -> Status {
    if (std::find(allowed.begin(), allowed.end(), dim) == allowed.end()) {
      return Error{fmt::format("'{}' is not a dimension of {} (it has: {})", dim,
                               store::to_string(query.measure), fmt::join(allowed, ", "))};
    }
    needed.insert(dim);
    return {};
  };
  store::CubeRead base;
  base.measure = measure_column(query.measure);
  base.group_by = query.group_by;
  for (const std::string& dim : query.group_by) {
    if (Status s = check(dim); !s) {
      return s.failure();
    }
  }
  for (const store::RollupFilter& f : query.filters) {
    if (Status s = check(f.dimension); !s) {
      return s.failure();
    }
    auto value = filter_value(f);
    if (!value) {
      return value.failure();
    }
    base.filters.push_back({f.dimension, std::move(*value)});
  }
  bool ranged = (query.from_day || query.to_day) && family != CubeFamily::kDomain;
  auto daily = smallest(family, needed, ranged ? "day" : "");
  if (!daily) {
    return Error{"no rollup has those dimensions together"};
  }
  auto read = [&](std::size_t cube, std::string_view time_column, std::optional<std::int64_t> from,
                  std::optional<std::int64_t> to) {
    store::CubeRead r = base;
    r.cube = cube;
    if (ranged) {
      r.range_dim = time_column;
      r.from = from;
      r.to = to;
    }
    return r;
  };
  QueryPlan plan;
  // Long ranges not grouped by day read whole months from monthly cubes and only the ragged
  // ends from daily ones.
  auto monthly =
      !needed.contains("day") && ranged ? smallest(family, needed, "month") : std::nullopt;
  if (monthly && query.from_day && query.to_day) {
    std::int64_t first_month = month_of(*query.from_day);
    if (month_start(first_month) < *query.from_day) {
      ++first_month;
    }
    std::int64_t end_month = month_of(*query.to_day);  // months before it are whole
    if (first_month < end_month) {
      plan.reads.push_back(read(*daily, "day", query.from_day, month_start(first_month)));
      plan.reads.push_back(read(*monthly, "month", first_month, end_month));
      plan.reads.push_back(read(*daily, "day", month_start(end_month), query.to_day));
    }
  }
  if (plan.reads.empty()) {
    plan.reads.push_back(read(*daily, "day", query.from_day, query.to_day));
  }
  plan.merge = plan.reads.size() > 1;
  // An empty range part reads nothing.
  std::erase_if(plan.reads,
                [](const store::CubeRead& r) { return r.from && r.to && *r.from >= *r.to; });
  for (store::CubeRead& r : plan.reads) {
    r.limit = plan.merge ? 0 : query.limit;
  }
  return plan;
}

Result<std::vector<store::RollupRow>> run_plan(store::RollupEngine& engine,
                                               const store::RollupQuery& query,
                                               const QueryPlan& plan) {
  std::map<std::vector<std::string>, std::int64_t> merged;
  std::vector<store::RollupRow> rows;
  for (const store::CubeRead& read : plan.reads) {
    auto got = engine.read(read);
    if (!got) {
      return got.failure();
    }
    for (store::CubeRow& r : *got) {
      store::RollupRow row;
      for (std::size_t i = 0; i < query.group_by.size() && i < r.key.size(); ++i) {
        row.keys.push_back(key_text(query.group_by[i], r.key[i]));
      }
      row.value = r.counts.empty() ? 0 : r.counts[0];
      if (plan.merge) {
        merged[row.keys] += row.value;
      } else {
        rows.push_back(std::move(row));
      }
    }
  }
  if (plan.merge) {
    for (auto& [keys, value] : merged) {
      rows.push_back({keys, value});  // in key order, as one read would give them
    }
    if (query.limit > 0) {
      std::stable_sort(
          rows.begin(), rows.end(),
          [](const store::RollupRow& a, const store::RollupRow& b) { return a.value > b.value; });
      rows.resize(std::min(rows.size(), query.limit));
    }
  }
  return rows;
}

}  // namespace mitsu::intel
