#pragma once
// RollupStore on SQLite: one table per cube (a set of dimensions with its counts), several cubes
// per measure so a query reads the smallest table that has its dimensions. Sessions are counted
// once, under the class their events so far give; a session whose class (or earliest event)
// changes with a later batch is moved: its old contribution is taken back, the new one added.

#include <memory>

#include "intel/session_fold.h"
#include "store/rollup_store.h"
#include "store/sqlite/sqlite_database.h"

namespace mitsu::store::sqlite {

class SqliteRollups : public RollupStore {
 public:
  // Applies the "rollups" migrations; needs the events and catalog tables in the same database.
  static Result<std::unique_ptr<SqliteRollups>> open(SqliteDatabase& db,
                                                     intel::TargetProfile profile = {});
  ~SqliteRollups() override;

  Status apply(std::span<const Event* const> fresh_events) override;
  Status sample_analysed(std::string_view sha256) override;
  Result<RebuildStats> rebuild() override;
  Result<std::vector<RollupRow>> query(const RollupQuery& query) override;
  Result<std::vector<std::string>> dump() override;

 private:
  struct Impl;
  explicit SqliteRollups(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mitsu::store::sqlite
