#pragma once
// RollupEngine: what a storage engine does for the rollups. Intel (intel/rollups) decides what is
// counted, which cubes exist and which reads answer a query; an engine only adds signed counts to
// cube rows, sums them back, and keeps the per-key state intel hands it as opaque bytes.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace mitsu::store {

enum class CubeColumnType { kInteger, kText };

struct CubeColumn {
  std::string name;
  CubeColumnType type = CubeColumnType::kText;

  bool operator==(const CubeColumn&) const = default;
};

// A cube: rows keyed by its dimensions, each row with one count per measure.
struct CubeSpec {
  std::string name;  // stable: an engine may name its table after it
  std::vector<CubeColumn> dims;
  std::vector<std::string> measures;
  // Leading dimensions of a secondary index, for reads that filter on them; empty: none.
  std::vector<std::string> index;

  bool operator==(const CubeSpec&) const = default;
};

// A dimension value: integer columns hold int64, text columns strings ("" for unknown).
using CubeValue = std::variant<std::int64_t, std::string>;

// "Add these counts to this row." A row whose counts all reach zero disappears.
struct CubeDelta {
  std::size_t cube = 0;  // index into the specs given to define()
  std::vector<CubeValue> key;
  std::vector<std::int64_t> amounts;  // one per measure, signed
};

// State intel keeps beside the counts (a session's fold, a sample as counted), by kind and key.
struct RollupState {
  std::string kind;
  std::string key;
  std::string value;  // intel's encoding; the engine stores the bytes as they are
};

// Everything one ingest batch (or one verdict) changes: written by one engine call.
struct RollupBatch {
  std::vector<RollupState> states;
  std::vector<CubeDelta> deltas;
};

struct CubeFilter {
  std::string dim;
  CubeValue value;
};

// "Sum `measure` over cube `cube`, rows with `range_dim` in [from, to) and every filter, grouped
// by `group_by`."
struct CubeRead {
  std::size_t cube = 0;
  std::string measure;
  std::vector<std::string> group_by;
  std::vector<CubeFilter> filters;
  std::string range_dim;  // empty: no range
  std::optional<std::int64_t> from, to;
  // 0: every group, ordered by the group keys; N: the N largest sums, largest first, ties by keys.
  std::size_t limit = 0;
};

// A row of a cube (key: its dimensions; counts: its measures), or of a read (key: the group
// values; counts: the one sum). Groups whose rows sum over nothing are left out.
struct CubeRow {
  std::vector<CubeValue> key;
  std::vector<std::int64_t> counts;

  bool operator==(const CubeRow&) const = default;
};

class RollupEngine {
 public:
  virtual ~RollupEngine() = default;

  // Makes storage for these cubes (creating what is missing). Called before anything else; again
  // only with the same cubes. The indexes of `cubes` are the cube numbers every other call uses.
  virtual Status define(std::span<const CubeSpec> cubes) = 0;

  // The stored value per key (nullopt where none), in the order of `keys`.
  virtual Result<std::vector<std::optional<std::string>>> load_states(
      std::string_view kind, std::span<const std::string> keys) = 0;
  virtual Result<std::uint64_t> count_states(std::string_view kind) = 0;

  // Replaces the given states and adds the deltas. Runs inside the caller's unit of work when
  // there is one (ingest, a verdict), so it counts what that unit of work stored, once.
  virtual Status write(const RollupBatch& batch) = 0;

  virtual Result<std::vector<CubeRow>> read(const CubeRead& read) = 0;
  // Every row of one cube, ordered by its key: for comparing two engines or two runs.
  virtual Result<std::vector<CubeRow>> rows(std::size_t cube) = 0;

  // Forgets every row and state, then runs `refill`; atomically where the engine can, so readers
  // never see half-rebuilt cubes.
  virtual Status rebuild(const std::function<Status()>& refill) = 0;
};

}  // namespace mitsu::store
