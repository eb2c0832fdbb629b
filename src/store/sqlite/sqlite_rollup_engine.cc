#include "store/sqlite/sqlite_rollup_engine.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "store/cube_rows.h"

namespace mitsu::store::sqlite {
namespace {

// Before engine-neutral rollups, SQLite kept intel's state in its own tables (intel_sessions,
// intel_samples) beside the cubes. Those cubes cannot be moved on without that state: they are
// dropped, and `mitsu rollups rebuild` recomputes them (docs/intel.md).
constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE rollup_state (
  kind  TEXT NOT NULL,
  key   TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
)sql"},
};

Status drop_legacy_tables(SqliteDatabase& db) {
  auto legacy = db.query_int(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'intel_sessions'");
  if (!legacy) {
    return legacy.failure();
  }
  if (*legacy == 0) {
    return {};
  }
  std::vector<std::string> tables;
  auto list = db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'rollup\\_%' ESCAPE '\\'"
      " OR name IN ('intel_sessions', 'intel_samples')) AND name != 'rollup_state'");
  if (!list) {
    return list.failure();
  }
  if (Status s = list->each_row([&](const Statement& r) { tables.emplace_back(r.column_text(0)); });
      !s) {
    return s;
  }
  return db.run([&]() -> Status {
    for (const std::string& t : tables) {
      if (Status s = db.exec(fmt::format("DROP TABLE {}", cube_sql_name(t))); !s) {
        return s;
      }
    }
    return db.exec("DELETE FROM schema_migrations WHERE component = 'rollups'");
  });
}

}  // namespace

struct SqliteRollupEngine::Impl {
  SqliteDatabase& db;
  std::vector<CubeSpec> cubes;
  std::vector<Statement> upsert, erase;  // per cube
  Statement load_state, save_state;

  explicit Impl(SqliteDatabase& d) : db(d) {}

  Status prepare_cube(const CubeSpec& cube) {
    std::vector<std::string> columns, dims, params, conditions, updates, measures;
    for (std::size_t i = 0; i < cube.dims.size(); ++i) {
      const CubeColumn& c = cube.dims[i];
      columns.push_back(fmt::format("{} {} NOT NULL", cube_sql_name(c.name),
                                    c.type == CubeColumnType::kInteger ? "INTEGER" : "TEXT"));
      dims.push_back(cube_sql_name(c.name));
      params.push_back(fmt::format("?{}", i + 1));
      conditions.push_back(fmt::format("{} = ?{}", cube_sql_name(c.name), i + 1));
    }
    for (std::size_t m = 0; m < cube.measures.size(); ++m) {
      measures.push_back(cube_sql_name(cube.measures[m]));
      columns.push_back(fmt::format("{} INTEGER NOT NULL", measures.back()));
      params.push_back(fmt::format("?{}", cube.dims.size() + m + 1));
      updates.push_back(fmt::format("{0} = {0} + excluded.{0}", measures.back()));
    }
    std::string create =
        fmt::format("CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({})) WITHOUT ROWID;",
                    cube_table(cube), fmt::join(columns, ", "), fmt::join(dims, ", "));
    if (!cube.index.empty()) {
      std::vector<std::string> index;
      for (const std::string& d : cube.index) {
        index.push_back(cube_sql_name(d));
      }
      create +=
          fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({});",
                      cube_sql_name(fmt::format("rollup_{}_by_{}", cube.name, cube.index.front())),
                      cube_table(cube), fmt::join(index, ", "));
    }
    if (Status s = db.exec(create); !s) {
      return s;
    }
    auto up = db.prepare(
        fmt::format("INSERT INTO {} ({}, {}) VALUES ({}) ON CONFLICT DO UPDATE SET {} RETURNING {}",
                    cube_table(cube), fmt::join(dims, ", "), fmt::join(measures, ", "),
                    fmt::join(params, ", "), fmt::join(updates, ", "), fmt::join(measures, ", ")));
    auto del = db.prepare(
        fmt::format("DELETE FROM {} WHERE {}", cube_table(cube), fmt::join(conditions, " AND ")));
    if (!up || !del) {
      return Error{up ? del.error() : up.error()};
    }
    upsert.push_back(std::move(*up));
    erase.push_back(std::move(*del));
    return {};
  }

  Status add(const CubeDelta& delta) {
    if (Status s = check_cube_delta(cubes, delta); !s) {
      return s;
    }
    if (cube_delta_is_empty(delta)) {
      return {};
    }
    Statement& q = upsert[delta.cube];
    for (std::size_t i = 0; i < delta.key.size(); ++i) {
      bind_cube_value(q, static_cast<int>(i + 1), delta.key[i]);
    }
    for (std::size_t m = 0; m < delta.amounts.size(); ++m) {
      q.bind(static_cast<int>(delta.key.size() + m + 1), delta.amounts[m]);
    }
    auto row = q.step();
    if (!row) {
      q.reset();
      return row.failure();
    }
    bool empty = true;
    for (std::size_t m = 0; m < delta.amounts.size(); ++m) {
      empty &= q.column_int(static_cast<int>(m)) == 0;
    }
    q.reset();
    if (!empty) {
      return {};
    }
    Statement& d = erase[delta.cube];
    for (std::size_t i = 0; i < delta.key.size(); ++i) {
      bind_cube_value(d, static_cast<int>(i + 1), delta.key[i]);
    }
    return d.run();
  }
};

SqliteRollupEngine::SqliteRollupEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteRollupEngine::~SqliteRollupEngine() = default;

Result<std::unique_ptr<SqliteRollupEngine>> SqliteRollupEngine::open(SqliteDatabase& db) {
  std::lock_guard lock(db.mutex());
  if (Status s = drop_legacy_tables(db); !s) {
    return s.failure();
  }
  if (Status s = db.migrate("rollup_engine", kMigrations); !s) {
    return s.failure();
  }
  auto impl = std::make_unique<Impl>(db);
  auto load = db.prepare("SELECT value FROM rollup_state WHERE kind = ?1 AND key = ?2");
  auto save =
      db.prepare("INSERT OR REPLACE INTO rollup_state (kind, key, value) VALUES (?1, ?2, ?3)");
  if (!load || !save) {
    return Error{load ? save.error() : load.error()};
  }
  impl->load_state = std::move(*load);
  impl->save_state = std::move(*save);
  return std::unique_ptr<SqliteRollupEngine>(new SqliteRollupEngine(std::move(impl)));
}

Status SqliteRollupEngine::define(std::span<const CubeSpec> cubes) {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.db.mutex());
  if (!impl.cubes.empty()) {
    return std::equal(cubes.begin(), cubes.end(), impl.cubes.begin(), impl.cubes.end())
               ? Status{}
               : Error{"rollups: the cubes were defined otherwise"};
  }
  Status done = impl.db.run([&]() -> Status {
    for (const CubeSpec& cube : cubes) {
      if (Status s = impl.prepare_cube(cube); !s) {
        return s;
      }
    }
    return {};
  });
  if (!done) {
    impl.upsert.clear();
    impl.erase.clear();
    return done;
  }
  impl.cubes.assign(cubes.begin(), cubes.end());
  return {};
}

Result<std::vector<std::optional<std::string>>> SqliteRollupEngine::load_states(
    std::string_view kind, std::span<const std::string> keys) {
  Impl& impl = *impl_;
  std::lock_guard lock(impl.db.mutex());
  std::vector<std::optional<std::string>> out(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    impl.load_state.bind(1, kind).bind(2, keys[i]);
    Status s = impl.load_state.each_row(
        [&](const Statement& r) { out[i] = std::string(r.column_text(0)); });
    if (!s) {
      return s.failure();
    }
  }
  return out;
}

Result<std::uint64_t> SqliteRollupEngine::count_states(std::string_view kind) {
  std::lock_guard lock(impl_->db.mutex());
  auto q = impl_->db.prepare("SELECT count(*) FROM rollup_state WHERE kind = ?1");
  if (!q) {
    return q.failure();
  }
  q->bind(1, kind);
  std::uint64_t n = 0;
  if (Status s = q->each_row([&](const Statement& r) { n = r.column_int(0); }); !s) {
    return s.failure();
  }
  return n;
}

Status SqliteRollupEngine::write(const RollupBatch& batch) {
  Impl& impl = *impl_;
  // Joins the caller's transaction (ingest, a verdict); alone, it is one of its own.
  return impl.db.run([&]() -> Status {
    for (const RollupState& state : batch.states) {
      impl.save_state.bind(1, state.kind).bind(2, state.key).bind(3, state.value);
      if (Status s = impl.save_state.run(); !s) {
        return s;
      }
    }
    for (const CubeDelta& delta : batch.deltas) {
      if (Status s = impl.add(delta); !s) {
        return s;
      }
    }
    return {};
  });
}

Result<std::vector<CubeRow>> SqliteRollupEngine::read(const CubeRead& read) {
  Impl& impl = *impl_;
  auto sql = cube_read_sql(impl.cubes, read, "?");
  if (!sql) {
    return sql.failure();
  }
  std::lock_guard lock(impl.db.mutex());
  auto q = impl.db.prepare(sql->sql);
  if (!q) {
    return q.failure();
  }
  for (std::size_t i = 0; i < sql->params.size(); ++i) {
    bind_cube_value(*q, static_cast<int>(i + 1), sql->params[i]);
  }
  std::vector<CubeRow> out;
  Status s = q->each_row([&](const Statement& r) {
    CubeRow row;
    if (cube_read_row(r, sql->types, row)) {
      out.push_back(std::move(row));
    }
  });
  if (!s) {
    return s.failure();
  }
  return out;
}

Result<std::vector<CubeRow>> SqliteRollupEngine::rows(std::size_t cube_index) {
  Impl& impl = *impl_;
  if (cube_index >= impl.cubes.size()) {
    return Error{fmt::format("rollups: no cube {}", cube_index)};
  }
  const CubeSpec& cube = impl.cubes[cube_index];
  std::lock_guard lock(impl.db.mutex());
  auto q = impl.db.prepare(cube_rows_sql(cube));
  if (!q) {
    return q.failure();
  }
  std::vector<CubeRow> out;
  Status s = q->each_row([&](const Statement& r) { out.push_back(cube_row_from(r, cube)); });
  if (!s) {
    return s.failure();
  }
  return out;
}

Status SqliteRollupEngine::rebuild(const std::function<Status()>& refill) {
  Impl& impl = *impl_;
  return impl.db.run([&]() -> Status {
    std::string wipe = "DELETE FROM rollup_state;";
    for (const CubeSpec& cube : impl.cubes) {
      wipe += fmt::format("DELETE FROM {};", cube_table(cube));
    }
    if (Status s = impl.db.exec(wipe); !s) {
      return s;
    }
    return refill();
  });
}

}  // namespace mitsu::store::sqlite
