#pragma once
// RollupEngine on PostgreSQL: one table per cube (`rollup_<name>`, keyed by its dimensions) and
// one table of intel's per-key state, shared by every process of a deployment. A batch's deltas
// are one upsert per cube (arrays unnested and summed by key); rows whose counts reach zero are
// deleted in a second statement, only when there are some.

#include <memory>
#include <string>
#include <vector>

#include "store/postgres/pg_database.h"
#include "store/rollup_engine.h"

namespace mitsu::store::postgres {

class PgRollupEngine : public RollupEngine {
 public:
  // Applies the "rollup_engine" migrations (the state table). Cube tables come with define().
  static Result<std::unique_ptr<PgRollupEngine>> open(PgDatabase& db);

  Status define(std::span<const CubeSpec> cubes) override;
  Result<std::vector<std::optional<std::string>>> load_states(
      std::string_view kind, std::span<const std::string> keys) override;
  Result<std::uint64_t> count_states(std::string_view kind) override;
  Status write(const RollupBatch& batch) override;
  Result<std::vector<CubeRow>> read(const CubeRead& read) override;
  Result<std::vector<CubeRow>> rows(std::size_t cube) override;
  Status rebuild(const std::function<Status()>& refill) override;

 private:
  explicit PgRollupEngine(PgDatabase& db) : db_(db) {}
  Status create_cube(const CubeSpec& cube);
  Status save_states(std::span<const RollupState> states);
  // Adds the deltas of one cube (checked, none all zero) in one statement.
  Status add(std::size_t cube, std::span<const CubeDelta* const> deltas);

  PgDatabase& db_;
  std::vector<CubeSpec> cubes_;
  std::vector<std::string> upsert_sql_, erase_sql_;  // per cube
};

}  // namespace mitsu::store::postgres
