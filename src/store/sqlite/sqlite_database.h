#pragma once
// A thin RAII layer over one SQLite connection: WAL mode, prepared statements, transactions and
// versioned migrations per component (several components may share one database file).

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/catalog.h"
#include "store/store_config.h"

namespace mitsu::store::sqlite {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;

  // Bound text is not copied: it must stay alive until run() or reset().
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_null(int index);
  // Binds text, or NULL when empty.
  Statement& bind_optional(int index, std::string_view text);

  // true: a row is ready; false: done. Errors become an Error.
  Result<bool> step();
  Status run();  // step to completion, then reset
  // Calls on_row for every result row, then resets.
  Status each_row(const std::function<void(const Statement&)>& on_row);
  void reset();

  std::string_view column_text(int index) const;
  std::int64_t column_int(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

using SqliteOptions = SqliteSettings;

struct Migration {
  int version;
  std::string_view sql;
};

class SqliteDatabase : public UnitOfWork {
 public:
  static Result<std::unique_ptr<SqliteDatabase>> open(const std::filesystem::path& path,
                                                      const SqliteOptions& options = {});
  ~SqliteDatabase() override;

  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // The first column of the first row of a query that binds nothing (count(*) and the like).
  Result<std::int64_t> query_int(std::string_view sql);
  // The same for a query with parameters, which `bind` binds (count(*) WHERE x = ?1).
  Result<std::int64_t> query_int(std::string_view sql, const std::function<void(Statement&)>& bind);
  // Applies the migrations of `component` above its recorded version, each in a transaction.
  Status migrate(std::string_view component, std::span<const Migration> migrations);
  // BEGIN IMMEDIATE; body; COMMIT — or ROLLBACK when the body fails. Inside another run() the
  // body just joins the open transaction, which the outermost run commits or rolls back.
  Status run(const std::function<Status()>& body) override;
  // Events and catalog share this connection, so one transaction covers both.
  bool covers_event_store() const override { return true; }

  // Serialises users of this connection across threads.
  std::recursive_mutex& mutex() { return mutex_; }
  sqlite3* handle() { return db_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  SqliteDatabase(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::filesystem::path path_;
  std::recursive_mutex mutex_;
};

}  // namespace mitsu::store::sqlite
