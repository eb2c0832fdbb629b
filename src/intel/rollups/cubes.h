#pragma once
// The rollup cubes: which sets of dimensions are materialised for each measure, so a query reads
// the smallest one that has its dimensions. Intel owns this list; engines only store the cubes.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "store/rollup_engine.h"
#include "store/rollup_store.h"

namespace mitsu::intel {

// Cubes of one family share their rows' source: a session, an exploit event, a sample, or a
// domain a sample names.
enum class CubeFamily { kSession, kExploit, kSample, kDomain };

struct Cube {
  store::CubeSpec spec;
  CubeFamily family;
  // For each of the cube's dimensions, its position in family_columns(family).
  std::vector<std::size_t> from_family;

  bool has(std::string_view dim) const;
};

// Every cube, smallest first within a family: the planner takes the first that has every
// dimension a query needs. The index of a cube here is its number for the engine.
std::span<const Cube> cubes();
std::vector<store::CubeSpec> cube_specs();

// The values a family's rows are keyed by, in this order; `month` is derived from `day`.
std::span<const std::string_view> family_columns(CubeFamily family);
CubeFamily family_of(store::Measure m);
// The cube column a measure sums.
std::string_view measure_column(store::Measure m);
bool integer_dimension(std::string_view dim);

// Months count from 1970-01 (0), as days count from 1970-01-01.
std::int64_t month_of(std::int64_t day);
std::int64_t month_start(std::int64_t month);

}  // namespace mitsu::intel
