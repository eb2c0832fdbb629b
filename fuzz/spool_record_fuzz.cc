// Fuzzes the spool's record decoder and segment reader with arbitrary file contents: a damaged
// or hostile segment must give intact records or skipped damage, never a crash or a hang.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "spool/record.h"
#include "spool/segment_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::spool;
  auto bytes = std::as_bytes(std::span(data, size));

  // The decoder alone, walking the input as a reader would.
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    DecodedRecord record = decode_record(bytes.subspan(pos));
    if (record.status != DecodeStatus::kOk) {
      break;
    }
    pos += record.consumed;
  }

  // The segment reader over the same bytes as a file; its limit is the file size, so each byte
  // is either in a returned record or counted as damaged.
  int fd = ::memfd_create("segment", 0);
  if (fd < 0) {
    return 0;
  }
  if (::write(fd, data, size) == static_cast<ssize_t>(size)) {
    SegmentReader reader(fd, 0, size);
    std::string_view payload;
    std::uint64_t delivered = 0;
    while (reader.next(payload)) {
      delivered += kRecordHeaderBytes + payload.size();
    }
    std::uint64_t damaged = 0;
    for (const DamagedRegion& region : reader.damaged()) {
      damaged += region.bytes;
    }
    if (delivered + damaged != size) {
      __builtin_trap();  // every byte must be accounted for
    }
  }
  ::close(fd);
  return 0;
}
