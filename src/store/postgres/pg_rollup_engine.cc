#include "store/postgres/pg_rollup_engine.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

#include "store/cube_rows.h"
#include "store/postgres/pg_bytes.h"

namespace mitsu::store::postgres {
namespace {

constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE rollup_state (
  kind  TEXT NOT NULL,
  key   TEXT NOT NULL,
  value BYTEA NOT NULL,
  PRIMARY KEY (kind, key)
);
)sql"},
};

// Serialises define() across processes: CREATE TABLE IF NOT EXISTS races with itself.
constexpr std::int64_t kDefineLock = 7346116;

std::string_view sql_type(CubeColumnType type) {
  return type == CubeColumnType::kInteger ? "bigint" : "text";
}

}  // namespace

Result<std::unique_ptr<PgRollupEngine>> PgRollupEngine::open(PgDatabase& db) {
  if (Status s = db.migrate("rollup_engine", kMigrations); !s) {
    return s.failure();
  }
  return std::unique_ptr<PgRollupEngine>(new PgRollupEngine(db));
}

Status PgRollupEngine::create_cube(const CubeSpec& cube) {
  std::vector<std::string> columns, dims, measures, arrays, sums, nonzero, updates, zero;
  int param = 0;
  for (const CubeColumn& c : cube.dims) {
    std::string name = cube_sql_name(c.name);
    // Text sorts bytewise, as in SQLite, whatever the database's collation.
    columns.push_back(
        fmt::format("{} {} NOT NULL", name,
                    c.type == CubeColumnType::kInteger ? "BIGINT" : "TEXT COLLATE \"C\""));
    dims.push_back(name);
    arrays.push_back(fmt::format("${}::{}[]", ++param, sql_type(c.type)));
  }
  for (const std::string& m : cube.measures) {
    std::string name = cube_sql_name(m);
    columns.push_back(fmt::format("{} BIGINT NOT NULL", name));
    measures.push_back(name);
    arrays.push_back(fmt::format("${}::bigint[]", ++param));
    sums.push_back(fmt::format("sum({})::bigint", name));
    nonzero.push_back(fmt::format("sum({}) <> 0", name));
    updates.push_back(fmt::format("{0} = c.{0} + excluded.{0}", name));
    zero.push_back(fmt::format("{} = 0", name));
  }
  std::string table = cube_table(cube);
  std::string create = fmt::format("CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}));", table,
                                   fmt::join(columns, ", "), fmt::join(dims, ", "));
  if (!cube.index.empty()) {
    std::vector<std::string> index;
    for (const std::string& d : cube.index) {
      index.push_back(cube_sql_name(d));
    }
    create +=
        fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({});",
                    cube_sql_name(fmt::format("rollup_{}_by_{}", cube.name, cube.index.front())),
                    table, fmt::join(index, ", "));
  }
  if (Status s = db_.exec(create); !s) {
    return s;
  }
  // One statement per cube and batch: the same key twice in a batch is summed first (an upsert
  // may touch a row once), keys go in order so concurrent writers do not deadlock, and the keys
  // whose counts reached zero come back for the delete.
  upsert_sql_.push_back(fmt::format(
      "WITH up AS (INSERT INTO {0} AS c ({1}, {2}) SELECT {1}, {3} FROM unnest({4}) AS u ({1}, {2})"
      " GROUP BY {1} HAVING {5} ORDER BY {1} ON CONFLICT ({1}) DO UPDATE SET {6}"
      " RETURNING {1}, {2}) SELECT {1} FROM up WHERE {7}",
      table, fmt::join(dims, ", "), fmt::join(measures, ", "), fmt::join(sums, ", "),
      fmt::join(arrays, ", "), fmt::join(nonzero, " OR "), fmt::join(updates, ", "),
      fmt::join(zero, " AND ")));
  std::vector<std::string> key_arrays(arrays.begin(), arrays.begin() + cube.dims.size());
  erase_sql_.push_back(fmt::format("DELETE FROM {} WHERE ({}) IN (SELECT * FROM unnest({})) AND {}",
                                   table, fmt::join(dims, ", "), fmt::join(key_arrays, ", "),
                                   fmt::join(zero, " AND ")));
  return {};
}

Status PgRollupEngine::define(std::span<const CubeSpec> cubes) {
  std::lock_guard lock(db_.mutex());
  if (!cubes_.empty()) {
    return std::equal(cubes.begin(), cubes.end(), cubes_.begin(), cubes_.end())
               ? Status{}
               : Error{"rollups: the cubes were defined otherwise"};
  }
  Status done = db_.run([&]() -> Status {
    if (Status s = db_.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kDefineLock)); !s) {
      return s;
    }
    for (const CubeSpec& cube : cubes) {
      if (Status s = create_cube(cube); !s) {
        return s;
      }
    }
    return {};
  });
  if (!done) {
    upsert_sql_.clear();
    erase_sql_.clear();
    return done;
  }
  cubes_.assign(cubes.begin(), cubes.end());
  return {};
}

Result<std::vector<std::optional<std::string>>> PgRollupEngine::load_states(
    std::string_view kind, std::span<const std::string> keys) {
  std::vector<std::optional<std::string>> out(keys.size());
  if (keys.empty()) {
    return out;
  }
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(
      "SELECT u.n, encode(s.value, 'hex') FROM unnest($2::text[]) WITH ORDINALITY AS u (key, n)"
      " JOIN rollup_state s ON s.kind = $1 AND s.key = u.key");
  if (!q) {
    return q.failure();
  }
  q->bind(1, kind).bind_array(2, keys);
  Status s = q->each_row([&](const Row& r) {
    out[static_cast<std::size_t>(r.column_int(0) - 1)] = bytes_from_hex(r.column_text(1));
  });
  if (!s) {
    return s.failure();
  }
  return out;
}

Result<std::uint64_t> PgRollupEngine::count_states(std::string_view kind) {
  auto n = db_.query_int("SELECT count(*) FROM rollup_state WHERE kind = $1",
                         [&](Statement& q) { q.bind(1, kind); });
  if (!n) {
    return n.failure();
  }
  return static_cast<std::uint64_t>(*n);
}

Status PgRollupEngine::save_states(std::span<const RollupState> states) {
  if (states.empty()) {
    return {};
  }
  std::vector<std::string_view> kinds, keys;
  std::vector<std::string> values;
  for (const RollupState& state : states) {
    kinds.push_back(state.kind);
    keys.push_back(state.key);
    values.push_back(bytes_to_hex(state.value));
  }
  // The last state given for a key wins, as when they are saved one by one.
  auto q = db_.prepare(
      "INSERT INTO rollup_state (kind, key, value) SELECT DISTINCT ON (kind, key) kind, key,"
      " decode(value, 'hex') FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY"
      " AS u (kind, key, value, n) ORDER BY kind, key, n DESC"
      " ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value");
  if (!q) {
    return q.failure();
  }
  q->bind_array(1, std::span<const std::string_view>(kinds))
      .bind_array(2, std::span<const std::string_view>(keys))
      .bind_array(3, std::span<const std::string>(values));
  return q->run();
}

Status PgRollupEngine::add(std::size_t cube_index, std::span<const CubeDelta* const> deltas) {
  const CubeSpec& cube = cubes_[cube_index];
  std::size_t dims = cube.dims.size();
  // One array per column: text or integer for a dimension, integer for a measure.
  std::vector<std::vector<std::string_view>> text(dims);
  std::vector<std::vector<std::int64_t>> ints(dims + cube.measures.size());
  for (const CubeDelta* delta : deltas) {
    for (std::size_t i = 0; i < dims; ++i) {
      const CubeValue& value = delta->key[i];
      bool integer = cube.dims[i].type == CubeColumnType::kInteger;
      if (integer != std::holds_alternative<std::int64_t>(value)) {
        return Error{fmt::format("rollups: a delta's {} does not fit cube {}", cube.dims[i].name,
                                 cube.name)};
      }
      if (integer) {
        ints[i].push_back(std::get<std::int64_t>(value));
      } else {
        text[i].push_back(std::get<std::string>(value));
      }
    }
    for (std::size_t m = 0; m < delta->amounts.size(); ++m) {
      ints[dims + m].push_back(delta->amounts[m]);
    }
  }
  auto bind_columns = [&](Statement& q, std::size_t columns) {
    for (std::size_t i = 0; i < columns; ++i) {
      int param = static_cast<int>(i + 1);
      if (i < dims && cube.dims[i].type == CubeColumnType::kText) {
        q.bind_array(param, std::span<const std::string_view>(text[i]));
      } else {
        q.bind_array(param, std::span<const std::int64_t>(ints[i]));
      }
    }
  };
  auto upsert = db_.prepare(upsert_sql_[cube_index]);
  if (!upsert) {
    return upsert.failure();
  }
  bind_columns(*upsert, ints.size());
  std::vector<CubeValue> zero_keys;  // the keys that reached zero, dimension by dimension
  Status s = upsert->each_row([&](const Row& r) {
    for (std::size_t i = 0; i < dims; ++i) {
      zero_keys.push_back(cube_value_from(r, static_cast<int>(i), cube.dims[i].type));
    }
  });
  if (!s || zero_keys.empty()) {
    return s;
  }
  // The delete reuses the dimension arrays, now holding those keys.
  for (std::size_t i = 0; i < dims; ++i) {
    text[i].clear();
    ints[i].clear();
  }
  for (std::size_t k = 0; k < zero_keys.size(); ++k) {
    std::size_t i = k % dims;
    if (const auto* n = std::get_if<std::int64_t>(&zero_keys[k])) {
      ints[i].push_back(*n);
    } else {
      text[i].push_back(std::get<std::string>(zero_keys[k]));
    }
  }
  auto erase = db_.prepare(erase_sql_[cube_index]);
  if (!erase) {
    return erase.failure();
  }
  bind_columns(*erase, dims);
  return erase->run();
}

Status PgRollupEngine::write(const RollupBatch& batch) {
  std::vector<std::vector<const CubeDelta*>> by_cube(cubes_.size());
  for (const CubeDelta& delta : batch.deltas) {
    if (Status s = check_cube_delta(cubes_, delta); !s) {
      return s;
    }
    if (!cube_delta_is_empty(delta)) {
      by_cube[delta.cube].push_back(&delta);
    }
  }
  // Joins the caller's transaction (ingest, a verdict); alone, it is one of its own.
  return db_.run([&]() -> Status {
    if (Status s = save_states(batch.states); !s) {
      return s;
    }
    for (std::size_t c = 0; c < by_cube.size(); ++c) {
      if (by_cube[c].empty()) {
        continue;
      }
      if (Status s = add(c, by_cube[c]); !s) {
        return s;
      }
    }
    return {};
  });
}

Result<std::vector<CubeRow>> PgRollupEngine::read(const CubeRead& read) {
  auto sql = cube_read_sql(cubes_, read, "$");
  if (!sql) {
    return sql.failure();
  }
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(sql->sql);
  if (!q) {
    return q.failure();
  }
  for (std::size_t i = 0; i < sql->params.size(); ++i) {
    bind_cube_value(*q, static_cast<int>(i + 1), sql->params[i]);
  }
  std::vector<CubeRow> out;
  Status s = q->each_row([&](const Row& r) {
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

Result<std::vector<CubeRow>> PgRollupEngine::rows(std::size_t cube_index) {
  if (cube_index >= cubes_.size()) {
    return Error{fmt::format("rollups: no cube {}", cube_index)};
  }
  const CubeSpec& cube = cubes_[cube_index];
  std::lock_guard lock(db_.mutex());
  auto q = db_.prepare(cube_rows_sql(cube));
  if (!q) {
    return q.failure();
  }
  std::vector<CubeRow> out;
  Status s = q->each_row([&](const Row& r) { out.push_back(cube_row_from(r, cube)); });
  if (!s) {
    return s.failure();
  }
  return out;
}

Status PgRollupEngine::rebuild(const std::function<Status()>& refill) {
  // DELETE, not TRUNCATE: readers on other connections keep seeing the old rows until commit
  // instead of waiting on an exclusive lock.
  return db_.run([&]() -> Status {
    std::string wipe = "DELETE FROM rollup_state;";
    for (const CubeSpec& cube : cubes_) {
      wipe += fmt::format("DELETE FROM {};", cube_table(cube));
    }
    if (Status s = db_.exec(wipe); !s) {
      return s;
    }
    return refill();
  });
}

}  // namespace mitsu::store::postgres
