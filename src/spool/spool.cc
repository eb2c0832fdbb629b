#include "spool/spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/file_io.h"
#include "spool/record.h"

namespace mitsu::spool {
namespace {

namespace fs = std::filesystem;

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error{std::strerror(errno)};
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string segment_header() {
  std::string header(kSegmentMagic);
  header.push_back(static_cast<char>(kSegmentFormatVersion));
  header.append(kSegmentHeaderBytes - header.size(), '\0');
  return header;
}

std::optional<std::uint64_t> parse_segment_name(const fs::path& path) {
  if (path.extension() != ".seg") {
    return std::nullopt;
  }
  std::string stem = path.stem().string();
  std::uint64_t id = 0;
  auto [end, ec] = std::from_chars(stem.data(), stem.data() + stem.size(), id, 16);
  if (ec != std::errc() || end != stem.data() + stem.size() || stem.size() != 16) {
    return std::nullopt;
  }
  return id;
}

std::optional<Position> read_ack_file(const fs::path& path) {
  std::ifstream in(path);
  std::string version;
  Position position;
  if (!(in >> version >> position.segment >> position.offset) || version != "v1") {
    return std::nullopt;
  }
  return position;
}

}  // namespace

std::optional<FsyncPolicy> parse_fsync_policy(std::string_view text) {
  if (text == "always") {
    return FsyncPolicy::kAlways;
  }
  if (text == "interval") {
    return FsyncPolicy::kInterval;
  }
  if (text == "never") {
    return FsyncPolicy::kNever;
  }
  return std::nullopt;
}

std::string_view fsync_policy_name(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kInterval:
      return "interval";
    case FsyncPolicy::kNever:
      return "never";
  }
  return "?";
}

Spool::Spool(SpoolOptions options) : options_(std::move(options)) {}

Spool::~Spool() {
  {
    std::lock_guard lock(write_mutex_);
    if (unsynced_) {
      (void)sync_locked();
    }
    if (write_fd_ >= 0) {
      ::close(write_fd_);
    }
  }
  if (read_fd_ >= 0) {
    ::close(read_fd_);
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
  }
}

Result<std::unique_ptr<Spool>> Spool::open(SpoolOptions options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    return Error{fmt::format("create spool directory {}: {}", options.dir.string(), ec.message())};
  }
  if (options.segment_bytes < kSegmentHeaderBytes + kRecordHeaderBytes) {
    return Error{"spool segment size is too small"};
  }
  std::unique_ptr<Spool> spool(new Spool(std::move(options)));
  fs::path lock_path = spool->options_.dir / "lock";
  spool->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (spool->lock_fd_ < 0) {
    return errno_error("open", lock_path);
  }
  if (::flock(spool->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    std::ifstream in(lock_path);
    std::string pid;
    std::getline(in, pid);
    return Error::conflict(fmt::format("spool {} is in use by another process (pid {})",
                                       spool->options_.dir.string(),
                                       pid.empty() ? "unknown" : pid));
  }
  std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(spool->lock_fd_, 0) != 0 || !write_all(spool->lock_fd_, pid)) {
    return errno_error("write", lock_path);
  }
  if (Status status = spool->recover(); !status) {
    return status.failure();
  }
  return spool;
}

fs::path Spool::segment_path(std::uint64_t segment) const {
  return options_.dir / fmt::format("{:016x}.seg", segment);
}

Status Spool::recover() {
  std::vector<std::uint64_t> segments;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    const fs::path& path = entry.path();
    if (path.extension() == ".tmp") {
      fs::remove(path, ec);
      recovery_.problems.push_back(fmt::format("removed stale temporary file {}", path.string()));
    } else if (auto id = parse_segment_name(path)) {
      segments.push_back(*id);
    }
  }
  if (ec) {
    return Error{fmt::format("list spool {}: {}", options_.dir.string(), ec.message())};
  }
  std::sort(segments.begin(), segments.end());

  std::optional<Position> ack;
  if (fs::exists(options_.dir / "ack")) {
    ack = read_ack_file(options_.dir / "ack");
    if (!ack) {
      // Replaying from the oldest segment is safe: the collector de-duplicates by event id.
      recovery_.problems.push_back("ack file unreadable: replaying from the oldest segment");
    }
  }
  if (ack) {
    // Segments before the acknowledged one were consumed; a crash may have left them behind.
    while (!segments.empty() && segments.front() < ack->segment) {
      fs::remove(segment_path(segments.front()), ec);
      segments.erase(segments.begin());
    }
    if (segments.empty() || segments.front() != ack->segment) {
      if (!segments.empty()) {
        recovery_.problems.push_back(
            fmt::format("acknowledged segment {} is missing: replaying from segment {}",
                        ack->segment, segments.front()));
      }
      ack.reset();
    }
  }

  if (segments.empty()) {
    std::uint64_t first = 1;
    if (Status status = create_segment(first); !status) {
      return status;
    }
    first_segment_ = first;
    acked_ = cursor_ = {first, kSegmentHeaderBytes};
    return {};
  }

  for (std::uint64_t segment : segments) {
    fs::path path = segment_path(segment);
    bool last = segment == segments.back();
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      return errno_error("open", path);
    }
    struct stat st {};
    ::fstat(fd, &st);
    auto size = static_cast<std::uint64_t>(st.st_size);
    char header[kSegmentHeaderBytes] = {};
    if (size >= kSegmentHeaderBytes &&
        ::pread(fd, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
      ::close(fd);
      return errno_error("read", path);
    }
    if (size < kSegmentHeaderBytes) {
      // Only a crash while creating a segment leaves this; it holds no record.
      recovery_.problems.push_back(
          fmt::format("segment {} has an incomplete header ({} bytes): reset", segment, size));
      recovery_.discarded_bytes += size;
      std::string fresh = segment_header();
      if (::ftruncate(fd, 0) != 0 ||
          ::pwrite(fd, fresh.data(), fresh.size(), 0) != static_cast<ssize_t>(fresh.size())) {
        ::close(fd);
        return errno_error("reset segment", path);
      }
      ::fdatasync(fd);
      ::close(fd);
      ++recovery_.segments;
      continue;
    }
    if (std::string_view(header, kSegmentMagic.size()) != kSegmentMagic) {
      ::close(fd);
      return Error::invalid(fmt::format(
          "{} is not a Mitsu spool segment (bad magic); refusing to touch it", path.string()));
    }
    std::uint64_t start = ack && ack->segment == segment ? ack->offset : kSegmentHeaderBytes;
    if (start > size || start < kSegmentHeaderBytes) {
      recovery_.problems.push_back(fmt::format(
          "acknowledged offset {} outside segment {}: replaying it whole", start, segment));
      start = kSegmentHeaderBytes;
      ack.reset();
    }
    SegmentReader reader(fd, start, size);
    std::string_view payload;
    while (reader.next(payload)) {
      ++recovery_.pending_records;
    }
    if (reader.io_error() != 0) {
      ::close(fd);
      return errno_error("read", path, reader.io_error());
    }
    for (const DamagedRegion& region : reader.damaged()) {
      recovery_.discarded_bytes += region.bytes;
      bool tail = region.offset + region.bytes == size && region.offset == reader.last_good_end();
      recovery_.problems.push_back(fmt::format(
          "segment {}: {} {} bytes at offset {}", segment,
          tail && last ? "cut torn tail of" : "skipping damaged", region.bytes, region.offset));
    }
    if (last && reader.last_good_end() < size) {
      if (::ftruncate(fd, static_cast<off_t>(reader.last_good_end())) != 0) {
        ::close(fd);
        return errno_error("truncate torn tail of", path);
      }
      ::fdatasync(fd);
    }
    ::close(fd);
    ++recovery_.segments;
  }

  first_segment_ = segments.front();
  acked_ = ack ? *ack : Position{segments.front(), kSegmentHeaderBytes};
  cursor_ = acked_;
  return open_segment_for_append(segments.back());
}

Status Spool::open_segment_for_append(std::uint64_t segment) {
  fs::path path = segment_path(segment);
  write_fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (write_fd_ < 0) {
    return errno_error("open", path);
  }
  struct stat st {};
  ::fstat(write_fd_, &st);
  write_segment_ = segment;
  write_end_ = static_cast<std::uint64_t>(st.st_size);
  last_sync_ = std::chrono::steady_clock::now();
  return {};
}

Status Spool::create_segment(std::uint64_t segment) {
  fs::path path = segment_path(segment);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return errno_error("create", path);
  }
  if (Status status = write_all(fd, segment_header()); !status) {
    ::close(fd);
    return errno_error("write", path);
  }
  if (options_.fsync != FsyncPolicy::kNever) {
    ::fdatasync(fd);
    if (Status status = fsync_dir(options_.dir); !status) {
      ::close(fd);
      return status;
    }
  }
  if (write_fd_ >= 0) {
    ::close(write_fd_);
  }
  write_fd_ = fd;
  write_segment_ = segment;
  write_end_ = kSegmentHeaderBytes;
  ++stats_.segments_created;
  return {};
}

Status Spool::roll_locked() {
  if (unsynced_ && options_.fsync != FsyncPolicy::kNever) {
    if (Status status = sync_locked(); !status) {
      return status;
    }
  }
  return create_segment(write_segment_ + 1);
}

Status Spool::sync_locked() {
  if (::fdatasync(write_fd_) != 0) {
    return errno_error("fdatasync", segment_path(write_segment_));
  }
  unsynced_ = false;
  last_sync_ = std::chrono::steady_clock::now();
  ++stats_.fsyncs;
  return {};
}

Status Spool::sync() {
  std::lock_guard lock(write_mutex_);
  return unsynced_ ? sync_locked() : Status{};
}

Status Spool::append(std::string_view payload) {
  return append_batch(std::span(&payload, 1));
}

Status Spool::append_batch(std::span<const std::string> payloads) {
  std::vector<std::string_view> views(payloads.begin(), payloads.end());
  return append_batch(std::span<const std::string_view>(views));
}

Status Spool::append_batch(std::span<const std::string_view> payloads) {
  std::lock_guard lock(write_mutex_);
  encode_buffer_.clear();
  for (std::string_view payload : payloads) {
    if (payload.size() > kMaxRecordBytes) {
      return Error{fmt::format("record of {} bytes exceeds the spool limit of {}", payload.size(),
                               kMaxRecordBytes)};
    }
    encode_record(payload, encode_buffer_);
  }
  if (encode_buffer_.empty()) {
    return {};
  }
  if (write_end_ > kSegmentHeaderBytes &&
      write_end_ + encode_buffer_.size() > options_.segment_bytes) {
    if (Status status = roll_locked(); !status) {
      return status;
    }
  }
  if (Status status = write_all(write_fd_, encode_buffer_); !status) {
    // Cut what a short write left so no torn record sits before the next append.
    (void)::ftruncate(write_fd_, static_cast<off_t>(write_end_));
    return Error{
        fmt::format("append to {}: {}", segment_path(write_segment_).string(), status.error())};
  }
  write_end_ += encode_buffer_.size();
  stats_.appended_records += payloads.size();
  stats_.appended_bytes += encode_buffer_.size();
  unsynced_ = true;
  if (options_.fsync == FsyncPolicy::kAlways ||
      (options_.fsync == FsyncPolicy::kInterval &&
       std::chrono::steady_clock::now() - last_sync_ >= options_.fsync_interval)) {
    return sync_locked();
  }
  return {};
}

std::uint64_t Spool::readable_limit(std::uint64_t segment) {
  {
    std::lock_guard lock(write_mutex_);
    if (segment == write_segment_) {
      return write_end_;
    }
  }
  struct stat st {};
  return ::fstat(read_fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

Status Spool::open_reader(Position position) {
  if (read_fd_ >= 0) {
    ::close(read_fd_);
  }
  fs::path path = segment_path(position.segment);
  read_fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (read_fd_ < 0) {
    return errno_error("open", path);
  }
  reader_.emplace(read_fd_, position.offset, position.offset);
  return {};
}

Result<Batch> Spool::read(std::size_t max_records, std::size_t max_bytes) {
  std::lock_guard lock(read_mutex_);
  Batch batch;
  std::size_t bytes = 0;
  while (batch.records.size() < max_records && bytes < max_bytes) {
    if (!reader_) {
      if (Status status = open_reader(cursor_); !status) {
        return status.failure();
      }
    }
    std::uint64_t damaged_before = 0;
    for (const DamagedRegion& region : reader_->damaged()) {
      damaged_before += region.bytes;
    }
    reader_->set_limit(readable_limit(cursor_.segment));
    std::string_view payload;
    bool got = reader_->next(payload);
    cursor_.offset = reader_->position();
    std::uint64_t damaged_after = 0;
    for (const DamagedRegion& region : reader_->damaged()) {
      damaged_after += region.bytes;
    }
    if (damaged_after != damaged_before) {
      std::lock_guard write_lock(write_mutex_);
      stats_.damaged_bytes_skipped += damaged_after - damaged_before;
    }
    if (got) {
      batch.records.emplace_back(payload);
      bytes += payload.size();
      continue;
    }
    if (reader_->io_error() != 0) {
      return errno_error("read", segment_path(cursor_.segment), reader_->io_error());
    }
    std::uint64_t active;
    {
      std::lock_guard write_lock(write_mutex_);
      active = write_segment_;
    }
    if (cursor_.segment >= active) {
      break;  // caught up with the writer
    }
    // This segment is sealed and fully read: continue with the next one that exists.
    std::uint64_t next = cursor_.segment + 1;
    while (next < active && !fs::exists(segment_path(next))) {
      ++next;
    }
    cursor_ = {next, kSegmentHeaderBytes};
    reader_.reset();
  }
  batch.next = cursor_;
  return batch;
}

Status Spool::write_ack_file(Position position) {
  // No fsync: losing the newest ack on power failure only replays stored events, which the
  // collector recognises by id. Rename keeps the file whole against a process crash.
  fs::path tmp = options_.dir / "ack.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "v1 " << position.segment << ' ' << position.offset << '\n';
    if (!out.flush()) {
      return Error{fmt::format("write {}", tmp.string())};
    }
  }
  std::error_code ec;
  fs::rename(tmp, options_.dir / "ack", ec);
  if (ec) {
    return Error{fmt::format("rename {}: {}", tmp.string(), ec.message())};
  }
  return {};
}

Status Spool::ack(Position upto) {
  std::lock_guard lock(read_mutex_);
  if (upto <= acked_) {
    return {};
  }
  if (upto > cursor_) {
    return Error{"acknowledged position is beyond what was read"};
  }
  if (Status status = write_ack_file(upto); !status) {
    return status;
  }
  acked_ = upto;
  std::lock_guard write_lock(write_mutex_);
  for (; first_segment_ < upto.segment; ++first_segment_) {
    std::error_code ec;
    if (fs::remove(segment_path(first_segment_), ec)) {
      ++stats_.segments_removed;
    }
  }
  return {};
}

void Spool::rewind() {
  std::lock_guard lock(read_mutex_);
  cursor_ = acked_;
  reader_.reset();
}

Position Spool::acknowledged() const {
  std::lock_guard lock(read_mutex_);
  return acked_;
}

bool Spool::has_unread() const {
  std::lock_guard lock(read_mutex_);
  std::lock_guard write_lock(write_mutex_);
  return cursor_.segment < write_segment_ || cursor_.offset < write_end_;
}

SpoolStats Spool::stats() const {
  std::lock_guard lock(write_mutex_);
  return stats_;
}

}  // namespace mitsu::spool
