#include "store/cube_rows.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace mitsu::store {

std::string cube_sql_name(std::string_view name) {
  return fmt::format("\"{}\"", name);
}

std::string cube_table(const CubeSpec& cube) {
  return cube_sql_name(fmt::format("rollup_{}", cube.name));
}

const CubeColumn* cube_column(const CubeSpec& cube, std::string_view name) {
  auto it = std::find_if(cube.dims.begin(), cube.dims.end(),
                         [&](const CubeColumn& c) { return c.name == name; });
  return it == cube.dims.end() ? nullptr : &*it;
}

Status check_cube_delta(std::span<const CubeSpec> cubes, const CubeDelta& delta) {
  if (delta.cube >= cubes.size()) {
    return Error{fmt::format("rollups: no cube {}", delta.cube)};
  }
  const CubeSpec& cube = cubes[delta.cube];
  if (delta.key.size() != cube.dims.size() || delta.amounts.size() != cube.measures.size()) {
    return Error{fmt::format("rollups: a delta does not fit cube {}", cube.name)};
  }
  return {};
}

bool cube_delta_is_empty(const CubeDelta& delta) {
  return std::all_of(delta.amounts.begin(), delta.amounts.end(), [](auto n) { return n == 0; });
}

Result<CubeReadSql> cube_read_sql(std::span<const CubeSpec> cubes, const CubeRead& read,
                                  std::string_view placeholder) {
  if (read.cube >= cubes.size()) {
    return Error{fmt::format("rollups: no cube {}", read.cube)};
  }
  const CubeSpec& cube = cubes[read.cube];
  if (std::find(cube.measures.begin(), cube.measures.end(), read.measure) == cube.measures.end()) {
    return Error{fmt::format("rollups: cube {} has no measure {}", cube.name, read.measure)};
  }
  CubeReadSql out;
  std::vector<std::string> groups, conditions;
  for (const std::string& g : read.group_by) {
    const CubeColumn* c = cube_column(cube, g);
    if (c == nullptr) {
      return Error{fmt::format("rollups: cube {} has no dimension {}", cube.name, g)};
    }
    groups.push_back(cube_sql_name(g));
    out.types.push_back(c->type);
  }
  auto condition = [&](const std::string& dim, std::string_view op, CubeValue value) -> Status {
    if (cube_column(cube, dim) == nullptr) {
      return Error{fmt::format("rollups: cube {} has no dimension {}", cube.name, dim)};
    }
    out.params.push_back(std::move(value));
    conditions.push_back(
        fmt::format("{} {} {}{}", cube_sql_name(dim), op, placeholder, out.params.size()));
    return {};
  };
  for (const CubeFilter& f : read.filters) {
    if (Status s = condition(f.dim, "=", f.value); !s) {
      return s.failure();
    }
  }
  if (!read.range_dim.empty() && read.from) {
    if (Status s = condition(read.range_dim, ">=", *read.from); !s) {
      return s.failure();
    }
  }
  if (!read.range_dim.empty() && read.to) {
    if (Status s = condition(read.range_dim, "<", *read.to); !s) {
      return s.failure();
    }
  }
  std::string& sql = out.sql;
  sql = fmt::format("SELECT {}{}sum({}) FROM {}", fmt::join(groups, ", "),
                    groups.empty() ? "" : ", ", cube_sql_name(read.measure), cube_table(cube));
  if (!conditions.empty()) {
    sql += fmt::format(" WHERE {}", fmt::join(conditions, " AND "));
  }
  if (!groups.empty()) {
    sql += fmt::format(" GROUP BY {}", fmt::join(groups, ", "));
  }
  if (read.limit > 0) {
    sql += fmt::format(" ORDER BY {} DESC{}{} LIMIT {}", groups.size() + 1,
                       groups.empty() ? "" : ", ", fmt::join(groups, ", "), read.limit);
  } else if (!groups.empty()) {
    sql += fmt::format(" ORDER BY {}", fmt::join(groups, ", "));
  }
  return out;
}

std::string cube_rows_sql(const CubeSpec& cube) {
  std::vector<std::string> dims, measures;
  for (const CubeColumn& c : cube.dims) {
    dims.push_back(cube_sql_name(c.name));
  }
  for (const std::string& m : cube.measures) {
    measures.push_back(cube_sql_name(m));
  }
  return fmt::format("SELECT {}, {} FROM {} ORDER BY {}", fmt::join(dims, ", "),
                     fmt::join(measures, ", "), cube_table(cube), fmt::join(dims, ", "));
}

}  // namespace mitsu::store
