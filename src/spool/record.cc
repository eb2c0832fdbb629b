#include "spool/record.h"

#include <zlib.h>

#include "core/byte_reader.h"

namespace mitsu::spool {
namespace {

void store_le32(std::uint32_t value, char* out) {
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  }
}

// The checksum covers the length too, so a damaged length cannot pass as a shorter record.
std::uint32_t checksum(const void* length_le, const void* payload, std::size_t size) {
  uLong crc = crc32(0L, static_cast<const Bytef*>(length_le), 4);
  // zlib takes uInt lengths; records are capped at kMaxRecordBytes, far below 4 GiB.
  crc = crc32(crc, static_cast<const Bytef*>(payload), static_cast<uInt>(size));
  return static_cast<std::uint32_t>(crc);
}

}  // namespace

DecodedRecord decode_record(std::span<const std::byte> data) {
  ByteReader r(data);
  auto length = r.u32(0);
  auto expected = r.u32(4);
  if (!length || !expected) {
    return {DecodeStatus::kNeedMore};
  }
  if (*length > kMaxRecordBytes) {
    return {DecodeStatus::kCorrupt};
  }
  auto payload = r.bytes(kRecordHeaderBytes, *length);
  if (!payload) {
    return {DecodeStatus::kNeedMore, 0, kRecordHeaderBytes + *length};
  }
  if (checksum(data.data(), payload->data(), payload->size()) != *expected) {
    return {DecodeStatus::kCorrupt};
  }
  return {DecodeStatus::kOk, kRecordHeaderBytes + *length, 0, *payload};
}

void encode_record(std::string_view payload, std::string& out) {
  char header[kRecordHeaderBytes];
  store_le32(static_cast<std::uint32_t>(payload.size()), header);
  store_le32(checksum(header, payload.data(), payload.size()), header + 4);
  out.append(header, sizeof header);
  out.append(payload);
}

}  // namespace mitsu::spool
