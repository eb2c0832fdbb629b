#include "store/sqlite/sqlite_rollup_engine.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

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

std::string sql_name(std::string_view name) {
  return fmt::format("\"{}\"", name);
}

std::string table_of(const CubeSpec& cube) {
  return sql_name(fmt::format("rollup_{}", cube.name));
}

Statement& bind_value(Statement& q, int index, const CubeValue& value) {
  if (const auto* n = std::get_if<std::int64_t>(&value)) {
    return q.bind(index, *n);
  }
  return q.bind(index, std::get<std::string>(value));
}

CubeValue column_value(const Statement& r, int index, CubeColumnType type) {
  if (type == CubeColumnType::kInteger) {
    return r.column_int(index);
  }
  return std::string(r.column_text(index));
}

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
      if (Status s = db.exec(fmt::format("DROP TABLE {}", sql_name(t))); !s) {
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

  const CubeColumn* column(const CubeSpec& cube, std::string_view name) const {
    auto it = std::find_if(cube.dims.begin(), cube.dims.end(),
                           [&](const CubeColumn& c) { return c.name == name; });
    return it == cube.dims.end() ? nullptr : &*it;
  }

  Status prepare_cube(const CubeSpec& cube) {
    std::vector<std::string> columns, dims, params, conditions, updates, measures;
    for (std::size_t i = 0; i < cube.dims.size(); ++i) {
      const CubeColumn& c = cube.dims[i];
      columns.push_back(fmt::format("{} {} NOT NULL", sql_name(c.name),
                                    c.type == CubeColumnType::kInteger ? "INTEGER" : "TEXT"));
      dims.push_back(sql_name(c.name));
      params.push_back(fmt::format("?{}", i + 1));
      conditions.push_back(fmt::format("{} = ?{}", sql_name(c.name), i + 1));
    }
    for (std::size_t m = 0; m < cube.measures.size(); ++m) {
      measures.push_back(sql_name(cube.measures[m]));
      columns.push_back(fmt::format("{} INTEGER NOT NULL", measures.back()));
      params.push_back(fmt::format("?{}", cube.dims.size() + m + 1));
      updates.push_back(fmt::format("{0} = {0} + excluded.{0}", measures.back()));
    }
    std::string create =
        fmt::format("CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({})) WITHOUT ROWID;",
                    table_of(cube), fmt::join(columns, ", "), fmt::join(dims, ", "));
    if (!cube.index.empty()) {
      std::vector<std::string> index;
      for (const std::string& d : cube.index) {
        index.push_back(sql_name(d));
      }
      create += fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({});",
                            sql_name(fmt::format("rollup_{}_by_{}", cube.name, cube.index.front())),
                            table_of(cube), fmt::join(index, ", "));
    }
    if (Status s = db.exec(create); !s) {
      return s;
    }
    auto up = db.prepare(
        fmt::format("INSERT INTO {} ({}, {}) VALUES ({}) ON CONFLICT DO UPDATE SET {} RETURNING {}",
                    table_of(cube), fmt::join(dims, ", "), fmt::join(measures, ", "),
                    fmt::join(params, ", "), fmt::join(updates, ", "), fmt::join(measures, ", ")));
    auto del = db.prepare(
        fmt::format("DELETE FROM {} WHERE {}", table_of(cube), fmt::join(conditions, " AND ")));
    if (!up || !del) {
      return Error{up ? del.error() : up.error()};
    }
    upsert.push_back(std::move(*up));
    erase.push_back(std::move(*del));
    return {};
  }

  Status add(const CubeDelta& delta) {
    if (delta.cube >= cubes.size()) {
      return Error{fmt::format("rollups: no cube {}", delta.cube)};
    }
    const CubeSpec& cube = cubes[delta.cube];
    if (delta.key.size() != cube.dims.size() || delta.amounts.size() != cube.measures.size()) {
      return Error{fmt::format("rollups: a delta does not fit cube {}", cube.name)};
    }
    if (std::all_of(delta.amounts.begin(), delta.amounts.end(), [](auto n) { return n == 0; })) {
      return {};
    }
    Statement& q = upsert[delta.cube];
    for (std::size_t i = 0; i < delta.key.size(); ++i) {
      bind_value(q, static_cast<int>(i + 1), delta.key[i]);
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
      bind_value(d, static_cast<int>(i + 1), delta.key[i]);
    }
    return d.run();
  }

  // The SQL of a read, with its parameters; names are checked against the cube's columns.
  Result<std::string> read_sql(const CubeRead& read, std::vector<CubeValue>& params) const {
    const CubeSpec& cube = cubes[read.cube];
    if (std::find(cube.measures.begin(), cube.measures.end(), read.measure) ==
        cube.measures.end()) {
      return Error{fmt::format("rollups: cube {} has no measure {}", cube.name, read.measure)};
    }
    std::vector<std::string> groups, conditions;
    for (const std::string& g : read.group_by) {
      if (column(cube, g) == nullptr) {
        return Error{fmt::format("rollups: cube {} has no dimension {}", cube.name, g)};
      }
      groups.push_back(sql_name(g));
    }
    auto condition = [&](const std::string& dim, std::string_view op, CubeValue value) -> Status {
      if (column(cube, dim) == nullptr) {
        return Error{fmt::format("rollups: cube {} has no dimension {}", cube.name, dim)};
      }
      params.push_back(std::move(value));
      conditions.push_back(fmt::format("{} {} ?{}", sql_name(dim), op, params.size()));
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
    std::string sql =
        fmt::format("SELECT {}{}sum({}) FROM {}", fmt::join(groups, ", "),
                    groups.empty() ? "" : ", ", sql_name(read.measure), table_of(cube));
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
    return sql;
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
  if (read.cube >= impl.cubes.size()) {
    return Error{fmt::format("rollups: no cube {}", read.cube)};
  }
  const CubeSpec& cube = impl.cubes[read.cube];
  std::vector<CubeValue> params;
  auto sql = impl.read_sql(read, params);
  if (!sql) {
    return sql.failure();
  }
  std::vector<CubeColumnType> types;
  for (const std::string& g : read.group_by) {
    types.push_back(impl.column(cube, g)->type);
  }
  std::lock_guard lock(impl.db.mutex());
  auto q = impl.db.prepare(*sql);
  if (!q) {
    return q.failure();
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    bind_value(*q, static_cast<int>(i + 1), params[i]);
  }
  std::vector<CubeRow> out;
  int sum = static_cast<int>(types.size());
  Status s = q->each_row([&](const Statement& r) {
    if (r.column_is_null(sum)) {
      return;  // a sum over no rows
    }
    CubeRow row;
    for (int i = 0; i < sum; ++i) {
      row.key.push_back(column_value(r, i, types[static_cast<std::size_t>(i)]));
    }
    row.counts.push_back(r.column_int(sum));
    out.push_back(std::move(row));
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
  std::vector<std::string> dims, measures;
  for (const CubeColumn& c : cube.dims) {
    dims.push_back(sql_name(c.name));
  }
  for (const std::string& m : cube.measures) {
    measures.push_back(sql_name(m));
  }
  std::lock_guard lock(impl.db.mutex());
  auto q = impl.db.prepare(fmt::format("SELECT {}, {} FROM {} ORDER BY {}", fmt::join(dims, ", "),
                                       fmt::join(measures, ", "), table_of(cube),
                                       fmt::join(dims, ", ")));
  if (!q) {
    return q.failure();
  }
  std::vector<CubeRow> out;
  Status s = q->each_row([&](const Statement& r) {
    CubeRow row;
    int i = 0;
    for (const CubeColumn& c : cube.dims) {
      row.key.push_back(column_value(r, i++, c.type));
    }
    for (std::size_t m = 0; m < cube.measures.size(); ++m) {
      row.counts.push_back(r.column_int(i++));
    }
    out.push_back(std::move(row));
  });
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
      wipe += fmt::format("DELETE FROM {};", table_of(cube));
    }
    if (Status s = impl.db.exec(wipe); !s) {
      return s;
    }
    return refill();
  });
}

}  // namespace mitsu::store::sqlite
