#pragma once
// Content-addressed storage of captured files: one file per SHA-256 under sharded directories
// (ab/cd/abcd…), written atomically (temp file + rename), never executable, with sightings
// metadata (size, first/last seen, count, sessions) in an index beside the files.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mitsu::artifacts {

inline constexpr std::uint64_t kDefaultMaxArtifactBytes = 64ULL << 20;

struct ArtifactStoreOptions {
  std::filesystem::path dir;
  std::uint64_t max_bytes = kDefaultMaxArtifactBytes;
};

struct Sighting {
  std::string session_id;  // may be empty for files not tied to a session
  std::int64_t ts_us = 0;
  std::string source;  // URL, file path or protocol the bytes came from
};

struct ArtifactInfo {
  std::string sha256;
  std::uint64_t size = 0;
  std::int64_t first_seen_us = 0;
  std::int64_t last_seen_us = 0;
  std::uint64_t sightings = 0;
};

struct PutResult {
  ArtifactInfo info;
  bool newly_stored = false;  // false: the same bytes were already there, one more sighting
};

class ArtifactStore;

// Streams one file in (a download in progress): hashes as it writes, refuses past the size cap.
class ArtifactWriter {
 public:
  ~ArtifactWriter();
  ArtifactWriter(ArtifactWriter&&) noexcept;
  ArtifactWriter& operator=(ArtifactWriter&&) = delete;

  // Fails once the total passes the cap; the partial file is discarded.
  Status write(std::span<const std::byte> bytes);
  Result<PutResult> commit(const Sighting& sighting);

 private:
  friend class ArtifactStore;
  struct State;
  explicit ArtifactWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class ArtifactStore {
 public:
  static Result<std::unique_ptr<ArtifactStore>> open(ArtifactStoreOptions options);
  ~ArtifactStore();

  Result<ArtifactWriter> begin();
  Result<PutResult> put(std::span<const std::byte> bytes, const Sighting& sighting);

  // The stored bytes of an artifact (for analysis; the store itself never executes anything).
  Result<std::vector<std::byte>> read(std::string_view sha256) const;
  // The same into a caller's buffer, reusing its capacity.
  Status read(std::string_view sha256, std::vector<std::byte>& into) const;
  std::optional<ArtifactInfo> info(std::string_view sha256);
  std::vector<Sighting> sightings(std::string_view sha256);
  // Where the file for a hash lives (it may not exist).
  std::filesystem::path path_for(std::string_view sha256) const;
  std::uint64_t max_bytes() const { return options_.max_bytes; }

 private:
  friend class ArtifactWriter;
  struct Index;
  explicit ArtifactStore(ArtifactStoreOptions options);
  Result<PutResult> finish(const std::filesystem::path& tmp, const std::string& sha256,
                           std::uint64_t size, const Sighting& sighting);

  ArtifactStoreOptions options_;
  std::unique_ptr<Index> index_;
};

}  // namespace mitsu::artifacts
