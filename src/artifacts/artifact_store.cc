#include "artifacts/artifact_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include "core/file_io.h"
#include "core/hex.h"
#include "store/sqlite/sqlite_database.h"

namespace mitsu::artifacts {
namespace {

namespace fs = std::filesystem;
using store::sqlite::Migration;
using store::sqlite::SqliteDatabase;
using store::sqlite::Statement;

// Read-only for owner and group, and never an exec bit: a captured sample must not be runnable
// by accident.
constexpr mode_t kFileMode = 0440;

constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE artifacts (
  sha256        TEXT PRIMARY KEY,
  size          INTEGER NOT NULL,
  first_seen_us INTEGER NOT NULL,
  last_seen_us  INTEGER NOT NULL,
  sightings     INTEGER NOT NULL
);
CREATE TABLE artifact_sightings (
  seq        INTEGER PRIMARY KEY,
  sha256     TEXT NOT NULL REFERENCES artifacts(sha256),
  session_id TEXT,
  ts_us      INTEGER NOT NULL,
  source     TEXT
);
CREATE INDEX artifact_sightings_sha256 ON artifact_sightings(sha256, seq);
)sql"},
};

}  // namespace

struct ArtifactStore::Index {
  std::unique_ptr<SqliteDatabase> db;
};

struct ArtifactWriter::State {
  ArtifactStore* store = nullptr;
  fs::path tmp;
  int fd = -1;
  EVP_MD_CTX* hash = nullptr;
  std::uint64_t size = 0;
  bool failed = false;

  // A failed or abandoned write leaves nothing behind.
  void discard() {
    failed = true;
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
    if (!tmp.empty()) {
      std::error_code ec;
      fs::remove(tmp, ec);
      tmp.clear();
    }
  }

  ~State() {
    discard();
    EVP_MD_CTX_free(hash);
  }
};

ArtifactWriter::ArtifactWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
ArtifactWriter::~ArtifactWriter() = default;
ArtifactWriter::ArtifactWriter(ArtifactWriter&&) noexcept = default;

Status ArtifactWriter::write(std::span<const std::byte> bytes) {
  State& s = *state_;
  if (s.failed || s.fd < 0) {
    return Error{"artifact writer is no longer usable"};
  }
  if (s.size + bytes.size() > s.store->options_.max_bytes) {
    s.discard();
    return Error{fmt::format("artifact exceeds the size cap of {} bytes", s.store->max_bytes())};
  }
  EVP_DigestUpdate(s.hash, bytes.data(), bytes.size());
  const std::byte* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(s.fd, data, left);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      Error error = errno_error("write", s.tmp);
      s.discard();
      return error;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  s.size += bytes.size();
  return {};
}

Result<PutResult> ArtifactWriter::commit(const Sighting& sighting) {
  State& s = *state_;
  if (s.failed || s.fd < 0) {
    return Error{"artifact writer is no longer usable"};
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_DigestFinal_ex(s.hash, digest, &digest_size);
  if (::fchmod(s.fd, kFileMode) != 0 || ::fdatasync(s.fd) != 0) {
    Error error = errno_error("sync", s.tmp);
    s.discard();
    return error;
  }
  ::close(s.fd);
  s.fd = -1;
  Result<PutResult> result = s.store->finish(s.tmp, to_hex(digest, digest_size), s.size, sighting);
  s.tmp.clear();  // renamed away or removed by finish()
  return result;
}

ArtifactStore::ArtifactStore(ArtifactStoreOptions options) : options_(std::move(options)) {}
ArtifactStore::~ArtifactStore() = default;

Result<std::unique_ptr<ArtifactStore>> ArtifactStore::open(ArtifactStoreOptions options) {
  std::error_code ec;
  fs::create_directories(options.dir / "tmp", ec);
  if (ec) {
    return Error{
        fmt::format("create artifact directory {}: {}", options.dir.string(), ec.message())};
  }
  // Temp files left by a crash never became artifacts.
  for (const auto& entry : fs::directory_iterator(options.dir / "tmp", ec)) {
    fs::remove(entry.path(), ec);
  }
  std::unique_ptr<ArtifactStore> store(new ArtifactStore(std::move(options)));
  auto db = SqliteDatabase::open(store->options_.dir / "index.sqlite");
  if (!db) {
    return Error{db.error()};
  }
  if (Status status = (*db)->migrate("artifacts", kMigrations); !status) {
    return Error{status.error()};
  }
  store->index_ = std::make_unique<Index>(Index{std::move(*db)});
  return store;
}

fs::path ArtifactStore::path_for(std::string_view sha256) const {
  std::string hash(sha256);
  if (hash.size() < 4) {
    return options_.dir / "invalid";
  }
  return options_.dir / hash.substr(0, 2) / hash.substr(2, 2) / hash;
}

Result<ArtifactWriter> ArtifactStore::begin() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  auto state = std::make_unique<ArtifactWriter::State>();
  state->store = this;
  state->tmp = options_.dir / "tmp" / fmt::format("{:016x}.part", random());
  state->fd = ::open(state->tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (state->fd < 0) {
    fs::path tmp = state->tmp;
    state->tmp.clear();
    return errno_error("create", tmp);
  }
  state->hash = EVP_MD_CTX_new();
  EVP_DigestInit_ex(state->hash, EVP_sha256(), nullptr);
  return ArtifactWriter(std::move(state));
}

Result<PutResult> ArtifactStore::put(std::span<const std::byte> bytes, const Sighting& sighting) {
  Result<ArtifactWriter> writer = begin();
  if (!writer) {
    return Error{writer.error()};
  }
  if (Status status = writer->write(bytes); !status) {
    return Error{status.error()};
  }
  return writer->commit(sighting);
}

Result<PutResult> ArtifactStore::finish(const fs::path& tmp, const std::string& sha256,
                                        std::uint64_t size, const Sighting& sighting) {
  fs::path final_path = path_for(sha256);
  std::error_code ec;
  fs::create_directories(final_path.parent_path(), ec);
  PutResult result;
  if (fs::exists(final_path, ec)) {
    fs::remove(tmp, ec);  // same bytes already stored: keep one file
  } else {
    // rename() is atomic: readers see no file or the whole file. Two writers racing with the
    // same bytes both succeed and leave one identical file.
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      Error error = errno_error("rename into", final_path);
      fs::remove(tmp, ec);
      return error;
    }
    (void)fsync_dir(final_path.parent_path());
    result.newly_stored = true;
  }

  SqliteDatabase& db = *index_->db;
  Status recorded = db.run([&]() -> Status {
    auto upsert = db.prepare(
        "INSERT INTO artifacts (sha256, size, first_seen_us, last_seen_us, sightings)"
        " VALUES (?1, ?2, ?3, ?3, 1) ON CONFLICT(sha256) DO UPDATE SET"
        " first_seen_us = min(first_seen_us, excluded.first_seen_us),"
        " last_seen_us = max(last_seen_us, excluded.last_seen_us),"
        " sightings = sightings + 1");
    auto sight = db.prepare(
        "INSERT INTO artifact_sightings (sha256, session_id, ts_us, source)"
        " VALUES (?1, ?2, ?3, ?4)");
    if (!upsert || !sight) {
      return Error{upsert ? sight.error() : upsert.error()};
    }
    upsert->bind(1, sha256).bind(2, static_cast<std::int64_t>(size)).bind(3, sighting.ts_us);
    sight->bind(1, sha256).bind_optional(2, sighting.session_id).bind(3, sighting.ts_us);
    sight->bind_optional(4, sighting.source);
    if (Status status = upsert->run(); !status) {
      return status;
    }
    return sight->run();
  });
  if (!recorded) {
    return Error{recorded.error()};
  }
  auto info_now = info(sha256);
  if (!info_now) {
    return Error{"artifact index lost a row it just wrote"};
  }
  result.info = *info_now;
  return result;
}

Result<std::vector<std::byte>> ArtifactStore::read(std::string_view sha256) const {
  std::vector<std::byte> bytes;
  if (Status s = read(sha256, bytes); !s) {
    return Error{s.error()};
  }
  return bytes;
}

Status ArtifactStore::read(std::string_view sha256, std::vector<std::byte>& into) const {
  return read_file_into(path_for(sha256), options_.max_bytes, into);
}

std::optional<ArtifactInfo> ArtifactStore::info(std::string_view sha256) {
  SqliteDatabase& db = *index_->db;
  std::lock_guard lock(db.mutex());
  auto q = db.prepare(
      "SELECT sha256, size, first_seen_us, last_seen_us, sightings FROM artifacts"
      " WHERE sha256 = ?1");
  std::optional<ArtifactInfo> info;
  if (q) {
    q->bind(1, sha256);
    (void)q->each_row([&](const Statement& row) {
      info = ArtifactInfo{std::string(row.column_text(0)),
                          static_cast<std::uint64_t>(row.column_int(1)), row.column_int(2),
                          row.column_int(3), static_cast<std::uint64_t>(row.column_int(4))};
    });
  }
  return info;
}

std::vector<Sighting> ArtifactStore::sightings(std::string_view sha256) {
  SqliteDatabase& db = *index_->db;
  std::lock_guard lock(db.mutex());
  std::vector<Sighting> out;
  auto q = db.prepare(
      "SELECT session_id, ts_us, source FROM artifact_sightings WHERE sha256 = ?1 ORDER BY seq");
  if (q) {
    q->bind(1, sha256);
    (void)q->each_row([&](const Statement& row) {
      out.push_back(
          {std::string(row.column_text(0)), row.column_int(1), std::string(row.column_text(2))});
    });
  }
  return out;
}

}  // namespace mitsu::artifacts
