#pragma once
// Content-addressed storage of captured files: one file per SHA-256 under sharded directories
// (ab/cd/abcd…), written atomically (temp file + rename), capped in size, never executable.
// Files only, no index: who sent a file, when and from where is in its file.upload /
// file.download event and the catalog's samples, so a sensor needs no database to keep files.

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

struct ArtifactInfo {
  std::string sha256;
  std::uint64_t size = 0;
};

struct PutResult {
  ArtifactInfo info;
  bool newly_stored = false;  // false: the same bytes were already there
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
  Result<PutResult> commit();

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
  Result<PutResult> put(std::span<const std::byte> bytes);

  // The stored bytes of an artifact (for analysis; the store itself never executes anything).
  Result<std::vector<std::byte>> read(std::string_view sha256) const;
  // The same into a caller's buffer, reusing its capacity.
  Status read(std::string_view sha256, std::vector<std::byte>& into) const;
  // Whether the bytes of a hash are stored, and their size.
  std::optional<ArtifactInfo> info(std::string_view sha256) const;
  // Where the file for a hash lives (it may not exist). Anything but 64 lower-case hex digits
  // maps to one path that never exists, so a hash never names a path outside the store.
  std::filesystem::path path_for(std::string_view sha256) const;
  std::uint64_t max_bytes() const { return options_.max_bytes; }

 private:
  friend class ArtifactWriter;
  explicit ArtifactStore(ArtifactStoreOptions options);
  Result<PutResult> finish(const std::filesystem::path& tmp, const std::string& sha256,
                           std::uint64_t size);

  ArtifactStoreOptions options_;
};

}  // namespace mitsu::artifacts
