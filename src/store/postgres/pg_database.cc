#include "store/postgres/pg_database.h"

#include <fmt/format.h>

#include <charconv>

namespace mitsu::store::postgres {
namespace {

constexpr Oid kInt8 = 20;
constexpr Oid kText = 25;
constexpr Oid kTextArray = 1009;
constexpr Oid kInt8Array = 1016;

// The category follows the SQLSTATE class: a lost connection, a deadlock or a serialisation
// failure may work when retried; a unique violation means the row is there already.
Error pg_error(std::string_view what, std::string_view message, const char* sqlstate) {
  std::string text = fmt::format("postgres: {}: {}", what, message);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  std::string_view state = sqlstate != nullptr ? sqlstate : "";
  if (state.empty() || state.starts_with("08") || state.starts_with("57") || state == "40001" ||
      state == "40P01" || state.starts_with("53")) {
    return Error::unavailable(std::move(text));
  }
  if (state == "23505") {
    return Error::conflict(std::move(text));
  }
  return Error{std::move(text)};
}

// An element of an array literal: quoted, with quotes and backslashes escaped.
void append_array_element(std::string& out, std::string_view value) {
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
}

template <typename Values>
std::string text_array(const Values& values) {
  std::string out = "{";
  for (const auto& value : values) {
    if (out.size() > 1) {
      out += ',';
    }
    append_array_element(out, value);
  }
  out += '}';
  return out;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  out += '"';
  return out;
}

}  // namespace

std::string_view Row::column_text(int index) const {
  return {PQgetvalue(result_, row_, index),
          static_cast<std::size_t>(PQgetlength(result_, row_, index))};
}

std::int64_t Row::column_int(int index) const {
  std::string_view text = column_text(index);
  if (text == "t") {
    return 1;
  }
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

bool Row::column_is_null(int index) const {
  return PQgetisnull(result_, row_, index) != 0;
}

Statement& Statement::set(int index, Param param) {
  if (static_cast<std::size_t>(index) > params_.size()) {
    params_.resize(static_cast<std::size_t>(index));
  }
  params_[static_cast<std::size_t>(index) - 1] = std::move(param);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  return set(index, {std::string(text), kText});
}

Statement& Statement::bind(int index, std::int64_t value) {
  return set(index, {std::to_string(value), kInt8});
}

Statement& Statement::bind_null(int index) {
  return set(index, {std::nullopt, 0});
}

Statement& Statement::bind_optional(int index, std::string_view text) {
  return text.empty() ? bind_null(index) : bind(index, text);
}

Statement& Statement::bind_array(int index, std::span<const std::string_view> values) {
  return set(index, {text_array(values), kTextArray});
}

Statement& Statement::bind_array(int index, std::span<const std::string> values) {
  return set(index, {text_array(values), kTextArray});
}

Statement& Statement::bind_array(int index, std::span<const std::int64_t> values) {
  std::string out = "{";
  for (std::int64_t v : values) {
    if (out.size() > 1) {
      out += ',';
    }
    out += std::to_string(v);
  }
  out += '}';
  return set(index, {std::move(out), kInt8Array});
}

Status Statement::run() {
  return each_row([](const Row&) {});
}

Status Statement::each_row(const std::function<void(const Row&)>& on_row) {
  std::vector<Oid> types;
  std::vector<const char*> values;
  for (const Param& p : params_) {
    types.push_back(p.type);
    values.push_back(p.value ? p.value->c_str() : nullptr);
  }
  std::lock_guard lock(db_->mutex());
  auto executed = db_->execute(sql_, types, values);
  if (!executed) {
    return executed.failure();
  }
  const PGresult* result = executed->result.get();
  for (int i = 0, n = PQntuples(result); i < n; ++i) {
    on_row(Row(result, i));
  }
  return {};
}

Result<std::int64_t> Statement::affected() {
  std::vector<Oid> types;
  std::vector<const char*> values;
  for (const Param& p : params_) {
    types.push_back(p.type);
    values.push_back(p.value ? p.value->c_str() : nullptr);
  }
  std::lock_guard lock(db_->mutex());
  auto executed = db_->execute(sql_, types, values);
  if (!executed) {
    return executed.failure();
  }
  std::string_view tuples = PQcmdTuples(executed->result.get());
  std::int64_t count = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), count);
  return count;
}

Result<std::unique_ptr<PgDatabase>> PgDatabase::open(const PostgresSettings& settings) {
  PGconn* conn = PQconnectdb(settings.dsn.c_str());
  if (conn == nullptr) {
    return Error::unavailable("postgres: out of memory connecting");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    Error error =
        pg_error(fmt::format("connect \"{}\"", settings.dsn), PQerrorMessage(conn), "08000");
    PQfinish(conn);
    return error;
  }
  std::string schema = settings.schema.empty() ? "mitsu" : settings.schema;
  std::unique_ptr<PgDatabase> db(new PgDatabase(conn, schema));
  // Notices (e.g. "schema exists, skipping") are not errors; keep them off stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (Status status = db->exec(fmt::format(
          "SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS {0}; SET search_path TO "
          "{0}",
          quote_identifier(schema)));
      !status) {
    return status.failure();
  }
  return db;
}

PgDatabase::~PgDatabase() {
  PQfinish(conn_);
}

Status PgDatabase::reconnect_if_lost() {
  if (PQstatus(conn_) == CONNECTION_OK) {
    return {};
  }
  if (depth_ > 0) {
    return Error::unavailable("postgres: connection lost inside a transaction");
  }
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return pg_error("reconnect", PQerrorMessage(conn_), "08000");
  }
  prepared_.clear();
  return exec(fmt::format("SET client_min_messages = warning; SET search_path TO {}",
                          quote_identifier(schema_)));
}

Status PgDatabase::exec(std::string_view sql) {
  std::lock_guard lock(mutex_);
  if (Status status = reconnect_if_lost(); !status) {
    return status;
  }
  std::string text(sql);
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn_, text.c_str()), PQclear);
  ExecStatusType state = PQresultStatus(result.get());
  if (state != PGRES_COMMAND_OK && state != PGRES_TUPLES_OK) {
    return pg_error(text.substr(0, 60), PQerrorMessage(conn_),
                    PQresultErrorField(result.get(), PG_DIAG_SQLSTATE));
  }
  return {};
}

Result<PgDatabase::Executed> PgDatabase::execute(const std::string& sql, std::span<const Oid> types,
                                                 std::span<const char* const> values) {
  std::lock_guard lock(mutex_);
  if (Status status = reconnect_if_lost(); !status) {
    return status.failure();
  }
  std::string key = sql;
  for (Oid type : types) {
    key += fmt::format(";{}", type);
  }
  auto found = prepared_.find(key);
  if (found == prepared_.end()) {
    std::string name = fmt::format("m{}", prepared_.size());
    std::unique_ptr<PGresult, void (*)(PGresult*)> prepared(
        PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()),
        PQclear);
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return pg_error(fmt::format("prepare \"{}\"", sql.substr(0, 60)), PQerrorMessage(conn_),
                      PQresultErrorField(prepared.get(), PG_DIAG_SQLSTATE));
    }
    found = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  Executed executed;
  executed.result.reset(PQexecPrepared(conn_, found->second.c_str(),
                                       static_cast<int>(values.size()), values.data(), nullptr,
                                       nullptr, 0));
  ExecStatusType state = PQresultStatus(executed.result.get());
  if (state != PGRES_COMMAND_OK && state != PGRES_TUPLES_OK) {
    return pg_error(sql.substr(0, 60), PQerrorMessage(conn_),
                    PQresultErrorField(executed.result.get(), PG_DIAG_SQLSTATE));
  }
  return executed;
}

Result<std::int64_t> PgDatabase::query_int(std::string_view sql) {
  return query_int(sql, [](Statement&) {});
}

Result<std::int64_t> PgDatabase::query_int(std::string_view sql,
                                           const std::function<void(Statement&)>& bind) {
  Statement statement(*this, std::string(sql));
  bind(statement);
  std::int64_t value = 0;
  bool first = true;
  if (Status status = statement.each_row([&](const Row& row) {
        if (first && !row.column_is_null(0)) {
          value = row.column_int(0);
        }
        first = false;
      });
      !status) {
    return status.failure();
  }
  return value;
}

Status PgDatabase::run(const std::function<Status()>& body) {
  std::lock_guard lock(mutex_);
  if (depth_ > 0) {
    return body();  // nested: the outer run owns the transaction
  }
  if (Status status = exec("BEGIN"); !status) {
    return status;
  }
  ++depth_;
  Status status = body();
  --depth_;
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

Status PgDatabase::migrate(std::string_view component, std::span<const Migration> migrations) {
  std::lock_guard lock(mutex_);
  return run([&]() -> Status {
    // One migrating process at a time per database; the lock ends with the transaction.
    if (Status s = exec("SELECT pg_advisory_xact_lock(7346115)"); !s) {
      return s;
    }
    if (Status s =
            exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                 " component TEXT NOT NULL, version BIGINT NOT NULL, applied_us BIGINT NOT NULL,"
                 " PRIMARY KEY (component, version))");
        !s) {
      return s;
    }
    auto version =
        query_int("SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = $1",
                  [&](Statement& q) { q.bind(1, component); });
    if (!version) {
      return version.failure();
    }
    std::int64_t newest = migrations.empty() ? 0 : migrations.back().version;
    if (*version > newest) {
      return Error{fmt::format(
          "schema {} has {} schema version {}, newer than this build knows ({}); upgrade Mitsu",
          schema_, component, *version, newest)};
    }
    for (const Migration& migration : migrations) {
      if (migration.version <= *version) {
        continue;
      }
      if (Status s = exec(migration.sql); !s) {
        return Error{fmt::format("{} migration {}: {}", component, migration.version, s.error())};
      }
      Statement record(*this,
                       "INSERT INTO schema_migrations (component, version, applied_us)"
                       " VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1e6)::bigint)");
      record.bind(1, component).bind(2, std::int64_t{migration.version});
      if (Status s = record.run(); !s) {
        return s;
      }
    }
    return Status{};
  });
}

}  // namespace mitsu::store::postgres
