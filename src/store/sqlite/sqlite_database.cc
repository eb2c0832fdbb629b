#include "store/sqlite/sqlite_database.h"

#include <fmt/format.h>

namespace mitsu::store::sqlite {
namespace {

Error sqlite_error(sqlite3* db, std::string_view what) {
  // The category follows SQLite's primary result code: a locked or full database may work again,
  // a constraint means the row is there already.
  std::string message = fmt::format("sqlite: {}: {}", what, sqlite3_errmsg(db));
  switch (sqlite3_errcode(db) & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return Error::unavailable(std::move(message));
    case SQLITE_CONSTRAINT:
      return Error::conflict(std::move(message));
    default:
      return Error{std::move(message)};
  }
}

}  // namespace

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // SQLITE_STATIC: callers keep bound text alive until run()/reset(), which saves a copy per row.
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::bind_optional(int index, std::string_view text) {
  return text.empty() ? bind_null(index) : bind(index, text);
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  Error error = sqlite_error(db_, "step");
  sqlite3_reset(stmt_);
  return error;
}

Status Statement::run() {
  Result<bool> row = step();
  while (row.ok() && *row) {
    row = step();
  }
  reset();
  if (!row.ok()) {
    return row.failure();
  }
  return {};
}

Status Statement::each_row(const std::function<void(const Statement&)>& on_row) {
  while (true) {
    Result<bool> row = step();
    if (!row) {
      return row.failure();
    }
    if (!*row) {
      reset();
      return {};
    }
    on_row(*this);
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string_view Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (text == nullptr) {
    return {};
  }
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const std::filesystem::path& path,
                                                             const SqliteOptions& options) {
  if (options.synchronous != "full" && options.synchronous != "normal") {
    return Error::invalid(fmt::format(
        "sqlite synchronous must be \"full\" or \"normal\", not \"{}\"", options.synchronous));
  }
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<SqliteDatabase> database(new SqliteDatabase(db, path));
  if (rc != SQLITE_OK) {
    return Error::unavailable(
        fmt::format("open database {}: {}", path.string(), sqlite3_errmsg(db)));
  }
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  std::string pragmas = fmt::format(
      "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous={}; PRAGMA "
      "foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=2048;",
      options.synchronous);
  if (Status status = database->exec(pragmas); !status) {
    return Error{fmt::format("open database {}: {}", path.string(), status.error())};
  }
  return database;
}

SqliteDatabase::~SqliteDatabase() {
  sqlite3_close_v2(db_);
}

Status SqliteDatabase::exec(std::string_view sql) {
  std::lock_guard lock(mutex_);
  char* message = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    Error error{fmt::format("sqlite: {}", message != nullptr ? message : "error")};
    sqlite3_free(message);
    return error;
  }
  return {};
}

Result<Statement> SqliteDatabase::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(db_, fmt::format("prepare \"{}\"", sql.substr(0, 60)));
  }
  return Statement(db_, stmt);
}

Result<std::int64_t> SqliteDatabase::query_int(std::string_view sql) {
  return query_int(sql, [](Statement&) {});
}

Result<std::int64_t> SqliteDatabase::query_int(std::string_view sql,
                                               const std::function<void(Statement&)>& bind) {
  std::lock_guard lock(mutex_);
  auto statement = prepare(sql);
  if (!statement) {
    return statement.failure();
  }
  bind(*statement);
  std::int64_t value = 0;
  if (Status status = statement->each_row([&](const Statement& row) { value = row.column_int(0); });
      !status) {
    return status.failure();
  }
  return value;
}

Status SqliteDatabase::run(const std::function<Status()>& body) {
  std::lock_guard lock(mutex_);
  if (sqlite3_get_autocommit(db_) == 0) {
    return body();  // nested: the outer run owns the transaction
  }
  if (Status status = exec("BEGIN IMMEDIATE"); !status) {
    return status;
  }
  Status status = body();
  if (!status) {
    (void)exec("ROLLBACK");
    return status;
  }
  if (Status commit = exec("COMMIT"); !commit) {
    (void)exec("ROLLBACK");
    return commit;
  }
  return {};
}

Status SqliteDatabase::migrate(std::string_view component, std::span<const Migration> migrations) {
  std::lock_guard lock(mutex_);
  if (Status status =
          exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
               " component TEXT NOT NULL, version INTEGER NOT NULL, applied_us INTEGER NOT NULL,"
               " PRIMARY KEY (component, version))");
      !status) {
    return status;
  }
  std::int64_t version = 0;
  auto current =
      prepare("SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = ?1");
  if (!current) {
    return current.failure();
  }
  current->bind(1, component);
  if (Status status = current->each_row([&](const Statement& row) { version = row.column_int(0); });
      !status) {
    return status;
  }
  std::int64_t newest = migrations.empty() ? 0 : migrations.back().version;
  if (version > newest) {
    return Error{fmt::format(
        "database {} has {} schema version {}, newer than this build knows ({}); upgrade Mitsu",
        path_.string(), component, version, newest)};
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= version) {
      continue;
    }
    Status status = run([&]() -> Status {
      if (Status s = exec(migration.sql); !s) {
        return Error{fmt::format("{} migration {}: {}", component, migration.version, s.error())};
      }
      auto record = prepare(
          "INSERT INTO schema_migrations(component, version, applied_us)"
          " VALUES (?1, ?2, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))");
      if (!record) {
        return record.failure();
      }
      record->bind(1, component).bind(2, std::int64_t{migration.version});
      return record->run();
    });
    if (!status) {
      return status;
    }
  }
  return {};
}

}  // namespace mitsu::store::sqlite
