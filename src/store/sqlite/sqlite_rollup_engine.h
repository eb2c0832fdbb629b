#pragma once
// RollupEngine on SQLite: one table per cube (`rollup_<name>`, keyed by its dimensions) and one
// table of intel's per-key state. Deltas are upserts; a row whose counts reach zero is deleted.

#include <memory>

#include "store/rollup_engine.h"
#include "store/sqlite/sqlite_database.h"

namespace mitsu::store::sqlite {

class SqliteRollupEngine : public RollupEngine {
 public:
  // Applies the "rollup_engine" migrations (the state table). Cube tables come with define().
  static Result<std::unique_ptr<SqliteRollupEngine>> open(SqliteDatabase& db);
  ~SqliteRollupEngine() override;

  Status define(std::span<const CubeSpec> cubes) override;
  Result<std::vector<std::optional<std::string>>> load_states(
      std::string_view kind, std::span<const std::string> keys) override;
  Result<std::uint64_t> count_states(std::string_view kind) override;
  Status write(const RollupBatch& batch) override;
  Result<std::vector<CubeRow>> read(const CubeRead& read) override;
  Result<std::vector<CubeRow>> rows(std::size_t cube) override;
  Status rebuild(const std::function<Status()>& refill) override;

 private:
  struct Impl;
  explicit SqliteRollupEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mitsu::store::sqlite
