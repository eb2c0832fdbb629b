#pragma once
// Framing of one spool record: [u32 length LE][u32 CRC-32 of length+payload LE][payload].
// Pure functions over bytes, so the decoder is unit-tested and fuzzed alone.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mitsu::spool {

inline constexpr std::size_t kRecordHeaderBytes = 8;
// A length above this can only be corruption: events are capped far lower (kMaxEventBytes).
inline constexpr std::uint32_t kMaxRecordBytes = 16U << 20;

enum class DecodeStatus {
  kOk,
  kNeedMore,  // the bytes end inside a record: at a file's end this is a torn tail
  kCorrupt,   // length out of range or checksum mismatch
};

struct DecodedRecord {
  DecodeStatus status = DecodeStatus::kNeedMore;
  std::size_t consumed = 0;            // bytes of this record, header included (kOk only)
  std::size_t needed = 0;              // kNeedMore with a readable header: the whole record's size
  std::span<const std::byte> payload;  // view into the input (kOk only)
};

DecodedRecord decode_record(std::span<const std::byte> data);

// Appends the framed payload to out.
void encode_record(std::string_view payload, std::string& out);

inline std::string_view as_text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
inline std::span<const std::byte> as_bytes(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

}  // namespace mitsu::spool
