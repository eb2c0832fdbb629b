#pragma once
// Reads framed records from one segment file between two offsets, stepping over damaged bytes
// one at a time so that records after a damaged region are still delivered.

#include <cstdint>
#include <string_view>
#include <vector>

namespace mitsu::spool {

// Every segment file starts with this header: magic "MITSUSPL", format version (LE u32), zero.
inline constexpr std::size_t kSegmentHeaderBytes = 16;
inline constexpr std::string_view kSegmentMagic = "MITSUSPL";
inline constexpr std::uint32_t kSegmentFormatVersion = 1;

struct DamagedRegion {
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
};

class SegmentReader {
 public:
  // fd stays owned by the caller.
  SegmentReader(int fd, std::uint64_t position, std::uint64_t limit);

  // The limit may grow while the segment is the one being written.
  void set_limit(std::uint64_t limit) { limit_ = limit; }
  std::uint64_t limit() const { return limit_; }

  // Next intact record; false at the limit (or on a read error, see io_error()). The view stays
  // valid until the next call.
  bool next(std::string_view& payload);

  // Offset just after the last record returned, or after skipped damage.
  std::uint64_t position() const { return position_; }
  // End offset of the last intact record seen (the truncation point for a torn tail).
  std::uint64_t last_good_end() const { return last_good_end_; }
  const std::vector<DamagedRegion>& damaged() const { return damaged_; }
  int io_error() const { return io_error_; }

 private:
  bool fill(std::size_t want);
  void mark_damaged(std::uint64_t offset);

  int fd_;
  std::uint64_t position_;
  std::uint64_t limit_;
  std::uint64_t last_good_end_;
  std::vector<std::byte> buffer_;
  std::uint64_t buffer_offset_ = 0;  // file offset of buffer_[0]
  std::size_t buffer_size_ = 0;      // valid bytes in buffer_
  std::vector<DamagedRegion> damaged_;
  int io_error_ = 0;
};

}  // namespace mitsu::spool
