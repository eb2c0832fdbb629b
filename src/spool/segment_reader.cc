#include "spool/segment_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "spool/record.h"

namespace mitsu::spool {
namespace {
constexpr std::size_t kReadChunkBytes = 1 << 20;
}

SegmentReader::SegmentReader(int fd, std::uint64_t position, std::uint64_t limit)
    : fd_(fd), position_(position), limit_(limit), last_good_end_(position) {}

// Makes buffer_ hold at least `want` bytes starting at position_ (fewer only at the limit).
bool SegmentReader::fill(std::size_t want) {
  std::uint64_t available = limit_ - position_;
  want = static_cast<std::size_t>(std::min<std::uint64_t>(want, available));
  bool covered = position_ >= buffer_offset_ && position_ + want <= buffer_offset_ + buffer_size_;
  if (covered) {
    return true;
  }
  std::size_t chunk =
      static_cast<std::size_t>(std::min<std::uint64_t>(std::max(want, kReadChunkBytes), available));
  buffer_.resize(std::max(buffer_.size(), chunk));
  std::size_t got = 0;
  while (got < chunk) {
    ssize_t n = pread(fd_, buffer_.data() + got, chunk - got, static_cast<off_t>(position_ + got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      io_error_ = n < 0 ? errno : EIO;  // a file shorter than its limit: treat as I/O error
      buffer_size_ = 0;
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  buffer_offset_ = position_;
  buffer_size_ = got;
  return true;
}

void SegmentReader::mark_damaged(std::uint64_t offset) {
  if (!damaged_.empty() && damaged_.back().offset + damaged_.back().bytes == offset) {
    ++damaged_.back().bytes;
  } else {
    damaged_.push_back({offset, 1});
  }
}

bool SegmentReader::next(std::string_view& payload) {
  while (position_ < limit_) {
    std::uint64_t remaining = limit_ - position_;
    if (!fill(kRecordHeaderBytes)) {
      return false;
    }
    auto view = [&] {
      std::size_t start = static_cast<std::size_t>(position_ - buffer_offset_);
      return std::span<const std::byte>(buffer_.data() + start, buffer_size_ - start);
    };
    DecodedRecord record = decode_record(view());
    if (record.status == DecodeStatus::kNeedMore && record.needed != 0 &&
        record.needed <= remaining) {
      // A whole record lies within the limit but past the buffer: read it in one piece.
      if (!fill(record.needed)) {
        return false;
      }
      record = decode_record(view());
    }
    if (record.status == DecodeStatus::kOk) {
      payload = as_text(record.payload);
      position_ += record.consumed;
      last_good_end_ = position_;
      return true;
    }
    // Corrupt, or a record that would run past the limit (records never straddle it): step one
    // byte and try again, so an intact record after the damage is still found.
    mark_damaged(position_);
    ++position_;
  }
  return false;
}

}  // namespace mitsu::spool
