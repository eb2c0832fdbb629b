#pragma once
// The durable spool: producers append events to segment files, a consumer reads them from its
// acknowledged position, so delivery is at least once. Recovery after a crash keeps every intact
// record, cuts a torn tail and reports what it discarded. See docs/spool.md.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "spool/segment_reader.h"

namespace mitsu::spool {

enum class FsyncPolicy {
  kAlways,    // fdatasync before append returns: survives power loss
  kInterval,  // fdatasync at most every fsync_interval (and on sync()/close)
  kNever,     // leave it to the kernel: survives a process crash, not power loss
};

std::optional<FsyncPolicy> parse_fsync_policy(std::string_view text);
std::string_view fsync_policy_name(FsyncPolicy policy);

struct SpoolOptions {
  std::filesystem::path dir;
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  std::chrono::milliseconds fsync_interval{200};
  std::uint64_t segment_bytes = 64ULL << 20;  // roll to a new segment past this size
};

// A point in the spool: a segment and a byte offset inside it (always a record boundary).
struct Position {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
  auto operator<=>(const Position&) const = default;
};

struct RecoveryReport {
  std::size_t segments = 0;           // segment files kept
  std::uint64_t pending_records = 0;  // intact records not yet acknowledged
  std::uint64_t discarded_bytes = 0;  // torn tail cut or damaged bytes that will be skipped
  std::vector<std::string> problems;  // one human-readable line per finding
};

struct Batch {
  std::vector<std::string> records;
  Position next;  // acknowledge this once the records are safely stored
};

struct SpoolStats {
  std::uint64_t appended_records = 0;
  std::uint64_t appended_bytes = 0;
  std::uint64_t fsyncs = 0;
  std::uint64_t segments_created = 0;
  std::uint64_t segments_removed = 0;
  std::uint64_t damaged_bytes_skipped = 0;
};

// One process owns a spool directory at a time (an flock on `lock`); inside it, appends and reads
// may come from different threads.
class Spool {
 public:
  static Result<std::unique_ptr<Spool>> open(SpoolOptions options);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  const RecoveryReport& recovery() const { return recovery_; }

  // All records of a batch are written with one write; once this returns success they are
  // accepted (durable as the fsync policy says). On failure none of them is.
  Status append(std::string_view payload);
  Status append_batch(std::span<const std::string> payloads);
  Status append_batch(std::span<const std::string_view> payloads);
  // fdatasync now if anything is unsynced (the interval policy's timer calls this).
  Status sync();

  // Up to max_records records (and roughly max_bytes) after the read cursor. The cursor starts
  // at the acknowledged position when the spool is opened.
  Result<Batch> read(std::size_t max_records, std::size_t max_bytes = 8 << 20);
  // Everything before `upto` is stored: persist the position, delete fully consumed segments.
  Status ack(Position upto);
  // Move the read cursor back to the acknowledged position (after a failed store commit).
  void rewind();

  Position acknowledged() const;
  bool has_unread() const;
  SpoolStats stats() const;
  const std::filesystem::path& dir() const { return options_.dir; }

 private:
  explicit Spool(SpoolOptions options);
  Status recover();
  Status open_segment_for_append(std::uint64_t segment);
  Status create_segment(std::uint64_t segment);
  Status roll_locked();
  Status sync_locked();
  Status write_ack_file(Position position);
  std::filesystem::path segment_path(std::uint64_t segment) const;
  // Bytes readable in a segment: the write end for the active one, file size for sealed ones.
  std::uint64_t readable_limit(std::uint64_t segment);
  Status open_reader(Position position);

  SpoolOptions options_;
  RecoveryReport recovery_;
  int lock_fd_ = -1;

  mutable std::mutex write_mutex_;
  int write_fd_ = -1;
  std::uint64_t write_segment_ = 0;
  std::uint64_t write_end_ = 0;
  std::uint64_t first_segment_ = 0;
  bool unsynced_ = false;
  std::chrono::steady_clock::time_point last_sync_ = std::chrono::steady_clock::now();
  std::string encode_buffer_;
  SpoolStats stats_;

  mutable std::mutex read_mutex_;
  Position acked_;
  Position cursor_;
  int read_fd_ = -1;
  std::optional<SegmentReader> reader_;
};

}  // namespace mitsu::spool
