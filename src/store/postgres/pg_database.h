#pragma once
// A thin layer over one libpq connection: statements with positional parameters ($1, $2, …)
// prepared once per connection, rows read as text, nested transactions, and versioned
// migrations per component (the same scheme as the embedded engine's).

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/catalog.h"
#include "store/store_config.h"

namespace mitsu::store::postgres {

class PgDatabase;

// One result row; column indexes start at 0.
class Row {
 public:
  Row(const PGresult* result, int row) : result_(result), row_(row) {}
  std::string_view column_text(int index) const;
  // Integers, and booleans as 1 or 0.
  std::int64_t column_int(int index) const;
  bool column_is_null(int index) const;

 private:
  const PGresult* result_;
  int row_;
};

// A statement and its parameters (indexes start at 1, as $1 does). Bound text is copied.
class Statement {
 public:
  Statement(PgDatabase& db, std::string sql) : db_(&db), sql_(std::move(sql)) {}

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_null(int index);
  // Binds text, or NULL when empty.
  Statement& bind_optional(int index, std::string_view text);
  // Binds a text[] parameter (use it as $n::text[]).
  Statement& bind_array(int index, std::span<const std::string_view> values);
  Statement& bind_array(int index, std::span<const std::string> values);
  Statement& bind_array(int index, std::span<const std::int64_t> values);

  Status run();  // executes, ignoring any rows
  // Executes, then calls on_row for every result row.
  Status each_row(const std::function<void(const Row&)>& on_row);
  // Executes; returns how many rows it inserted, updated or deleted.
  Result<std::int64_t> affected();
  void reset() { params_.clear(); }

 private:
  struct Param {
    std::optional<std::string> value;
    Oid type = 0;  // 0: the server infers it
  };
  Statement& set(int index, Param param);

  PgDatabase* db_;
  std::string sql_;
  std::vector<Param> params_;
};

struct Migration {
  int version;
  std::string_view sql;
};

class PgDatabase : public UnitOfWork {
 public:
  // Connects (settings.dsn is a libpq connection string) and makes settings.schema the one every
  // statement uses, creating it when missing.
  static Result<std::unique_ptr<PgDatabase>> open(const PostgresSettings& settings);
  ~PgDatabase() override;

  // Runs one or more statements without parameters.
  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql) { return Statement(*this, std::string(sql)); }
  // The first column of the first row (0 when there is none).
  Result<std::int64_t> query_int(std::string_view sql);
  Result<std::int64_t> query_int(std::string_view sql, const std::function<void(Statement&)>& bind);
  // Applies the migrations of `component` above its recorded version, each in a transaction,
  // under an advisory lock so processes starting together migrate once.
  Status migrate(std::string_view component, std::span<const Migration> migrations);
  // BEGIN; body; COMMIT, or ROLLBACK when the body fails. Inside another run() the body joins
  // the open transaction, which the outermost run commits or rolls back.
  Status run(const std::function<Status()>& body) override;
  bool covers_event_store() const override { return covers_events_; }
  // Set when the event store lives in this database too (the "postgres" engine).
  void set_covers_event_store(bool covers) { covers_events_ = covers; }

  std::recursive_mutex& mutex() { return mutex_; }
  const std::string& schema() const { return schema_; }

 private:
  friend class Statement;
  struct Executed {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result{nullptr, PQclear};
  };
  PgDatabase(PGconn* conn, std::string schema) : conn_(conn), schema_(std::move(schema)) {}
  // Prepares `sql` once per connection (per parameter types) and executes it.
  Result<Executed> execute(const std::string& sql, std::span<const Oid> types,
                           std::span<const char* const> values);
  // Reconnects after the server went away, outside a transaction only.
  Status reconnect_if_lost();

  PGconn* conn_;
  std::string schema_;
  bool covers_events_ = false;
  int depth_ = 0;                                // nested run() calls
  std::map<std::string, std::string> prepared_;  // sql and types -> statement name
  std::recursive_mutex mutex_;
};

}  // namespace mitsu::store::postgres
