#pragma once
// What every SQL rollup engine does alike: table and column names of a cube, the checks a delta
// and a read pass, the SQL of a read (sums grouped and ordered by the group keys, or the largest
// first) and of a cube's rows, and the CubeRows their result rows make. Engines differ only in
// how a parameter is written ("?" in SQLite, "$" in PostgreSQL) and in how they store a row.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "store/rollup_engine.h"

namespace mitsu::store {

// A quoted SQL identifier.
std::string cube_sql_name(std::string_view name);
// The cube's table: "rollup_<name>".
std::string cube_table(const CubeSpec& cube);
const CubeColumn* cube_column(const CubeSpec& cube, std::string_view name);

// An error unless the delta names a defined cube and fits its dimensions and measures.
Status check_cube_delta(std::span<const CubeSpec> cubes, const CubeDelta& delta);
// True when every amount is zero: the delta changes nothing.
bool cube_delta_is_empty(const CubeDelta& delta);

// A read as SQL: the group values then the sum (NULL when it summed no rows), with `params` in
// parameter order and `types` the group columns' types. Names are checked against the cube.
struct CubeReadSql {
  std::string sql;
  std::vector<CubeValue> params;
  std::vector<CubeColumnType> types;
};
Result<CubeReadSql> cube_read_sql(std::span<const CubeSpec> cubes, const CubeRead& read,
                                  std::string_view placeholder);
// Every row of a cube, dimensions then measures, ordered by the dimensions.
std::string cube_rows_sql(const CubeSpec& cube);

template <typename Statement>
Statement& bind_cube_value(Statement& q, int index, const CubeValue& value) {
  if (const auto* n = std::get_if<std::int64_t>(&value)) {
    return q.bind(index, *n);
  }
  return q.bind(index, std::string_view(std::get<std::string>(value)));
}

template <typename Row>
CubeValue cube_value_from(const Row& r, int index, CubeColumnType type) {
  if (type == CubeColumnType::kInteger) {
    return r.column_int(index);
  }
  return std::string(r.column_text(index));
}

// A row of cube_read_sql's result; false for a sum over no rows, which a read leaves out.
template <typename Row>
bool cube_read_row(const Row& r, std::span<const CubeColumnType> types, CubeRow& out) {
  int sum = static_cast<int>(types.size());
  if (r.column_is_null(sum)) {
    return false;
  }
  for (int i = 0; i < sum; ++i) {
    out.key.push_back(cube_value_from(r, i, types[static_cast<std::size_t>(i)]));
  }
  out.counts.push_back(r.column_int(sum));
  return true;
}

// A row of cube_rows_sql's result.
template <typename Row>
CubeRow cube_row_from(const Row& r, const CubeSpec& cube) {
  CubeRow row;
  int i = 0;
  for (const CubeColumn& c : cube.dims) {
    row.key.push_back(cube_value_from(r, i++, c.type));
  }
  for (std::size_t m = 0; m < cube.measures.size(); ++m) {
    row.counts.push_back(r.column_int(i++));
  }
  return row;
}

}  // namespace mitsu::store
