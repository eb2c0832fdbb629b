#include "artifacts/artifact_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "core/file_io.h"
#include "core/hex.h"

namespace mitsu::artifacts {
namespace {

namespace fs = std::filesystem;

// Read-only for owner and group, and never an exec bit: a captured sample must not be runnable
// by accident.
constexpr mode_t kFileMode = 0440;

bool is_sha256(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

enum class Placed { kStored, kAlreadyThere };

// Moves `from` to `to` unless `to` exists. RENAME_NOREPLACE makes the
// check and the move one step, so of two writers racing with the same bytes exactly one stores
// them; file systems without it (some network shares) fall back to rename(), which is still
// atomic for readers and leaves one identical file.
Result<Placed> rename_unless_present(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Placed::kStored;
  }
  if (errno == EEXIST) {
    return Placed::kAlreadyThere;
  }
  if (errno != EINVAL && errno != ENOSYS) {
    return errno_error("rename into", to);
  }
  std::error_code ec;
  if (fs::exists(to, ec)) {
    return Placed::kAlreadyThere;
  }
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return errno_error("rename into", to);
  }
  return Placed::kStored;
}

}  // namespace

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
    return Error::invalid(
        fmt::format("artifact exceeds the size cap of {} bytes", s.store->max_bytes()));
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

Result<PutResult> ArtifactWriter::commit() {
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
  Result<PutResult> result = s.store->finish(s.tmp, to_hex(digest, digest_size), s.size);
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
  return std::unique_ptr<ArtifactStore>(new ArtifactStore(std::move(options)));
}

fs::path ArtifactStore::path_for(std::string_view sha256) const {
  if (!is_sha256(sha256)) {
    return options_.dir / "invalid";
  }
  return options_.dir / sha256.substr(0, 2) / sha256.substr(2, 2) / sha256;
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

Result<PutResult> ArtifactStore::put(std::span<const std::byte> bytes) {
  Result<ArtifactWriter> writer = begin();
  if (!writer) {
    return writer.failure();
  }
  if (Status status = writer->write(bytes); !status) {
    return status.failure();
  }
  return writer->commit();
}

Result<PutResult> ArtifactStore::finish(const fs::path& tmp, const std::string& sha256,
                                        std::uint64_t size) {
  fs::path final_path = path_for(sha256);
  std::error_code ec;
  fs::create_directories(final_path.parent_path(), ec);
  Result<Placed> placed = rename_unless_present(tmp, final_path);
  if (!placed) {
    fs::remove(tmp, ec);
    return placed.failure();
  }
  if (*placed == Placed::kAlreadyThere) {
    fs::remove(tmp, ec);  // the same bytes are already stored: keep one file
  } else {
    (void)fsync_dir(final_path.parent_path());
  }
  return PutResult{ArtifactInfo{sha256, size}, *placed == Placed::kStored};
}

Result<std::vector<std::byte>> ArtifactStore::read(std::string_view sha256) const {
  std::vector<std::byte> bytes;
  if (Status s = read(sha256, bytes); !s) {
    return s.failure();
  }
  return bytes;
}

Status ArtifactStore::read(std::string_view sha256, std::vector<std::byte>& into) const {
  return read_file_into(path_for(sha256), options_.max_bytes, into);
}

std::optional<ArtifactInfo> ArtifactStore::info(std::string_view sha256) const {
  struct stat st {};
  if (!is_sha256(sha256) || ::stat(path_for(sha256).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  return ArtifactInfo{std::string(sha256), static_cast<std::uint64_t>(st.st_size)};
}

}  // namespace mitsu::artifacts
