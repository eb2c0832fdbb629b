#include "core/byte_reader.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

namespace mitsu {
namespace {

constexpr std::array<std::uint8_t, 8> kBytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

ByteReader reader(bool big_endian = false) {
  return ByteReader(std::as_bytes(std::span(kBytes)), big_endian);
}

TEST(ByteReader, ReadsEitherByteOrder) {
  EXPECT_EQ(reader().u16(0), 0x0201);
  EXPECT_EQ(reader().u32(1), 0x05040302u);
  EXPECT_EQ(reader().u64(0), 0x0807060504030201ULL);
  EXPECT_EQ(reader(true).u16(0), 0x0102);
  EXPECT_EQ(reader(true).u32(1), 0x02030405u);
  EXPECT_EQ(reader(true).u64(0), 0x0102030405060708ULL);
  EXPECT_EQ(reader(true).u8(7), 0x08);
}

TEST(ByteReader, ReadsPastTheEndAreNullopt) {
  ByteReader r = reader();
  EXPECT_EQ(r.u8(8), std::nullopt);
  EXPECT_EQ(r.u16(7), std::nullopt);
  EXPECT_EQ(r.u32(5), std::nullopt);
  EXPECT_EQ(r.u64(1), std::nullopt);
  EXPECT_TRUE(r.contains(8, 0));
  EXPECT_FALSE(r.contains(9, 0));
}

// Offsets and sizes a hostile file claims may be anything: their sum must not wrap into range.
TEST(ByteReader, HugeOffsetsAndLengthsDoNotWrap) {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  ByteReader r = reader();
  EXPECT_FALSE(r.contains(1, kMax));
  EXPECT_FALSE(r.contains(kMax, 2));
  EXPECT_EQ(r.u32(kMax - 1), std::nullopt);
  EXPECT_EQ(r.bytes(4, kMax - 3), std::nullopt);
  EXPECT_EQ(r.text(kMax, 1), std::nullopt);
  EXPECT_EQ(r.subreader(2, kMax), std::nullopt);
}

TEST(ByteReader, TextAndBytesViewTheBuffer) {
  std::string_view message(
      "\x00\x03"
      "abc",
      5);
  ByteReader r(message, /*big_endian=*/true);
  auto length = r.u16(0);
  ASSERT_TRUE(length);
  EXPECT_EQ(r.text(2, *length), "abc");
  auto span = r.bytes(2, 3);
  ASSERT_TRUE(span);
  EXPECT_EQ(static_cast<const void*>(span->data()), message.data() + 2);
  EXPECT_EQ(r.text(5, 0), "");
  EXPECT_EQ(r.text(3, 3), std::nullopt);
}

TEST(ByteReader, SubreaderCountsFromItsStartAndKeepsTheByteOrder) {
  auto sub = reader(true).subreader(2, 4);
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->size(), 4u);
  EXPECT_TRUE(sub->big_endian());
  EXPECT_EQ(sub->u16(0), 0x0304);
  EXPECT_EQ(sub->u16(2), 0x0506);
  EXPECT_EQ(sub->u16(3), std::nullopt);  // 0x07 is outside the subreader
}

TEST(ByteReader, CStringNeedsANulWithinTheLimit) {
  std::string_view file("ab\0cdef\0", 8);
  ByteReader r(file);
  EXPECT_EQ(r.c_string(0, 2), "ab");
  EXPECT_EQ(r.c_string(0, 1), std::nullopt);
  EXPECT_EQ(r.c_string(2, 0), "");
  EXPECT_EQ(r.c_string(3, 16), "cdef");
  EXPECT_EQ(r.c_string(3, std::numeric_limits<std::size_t>::max()), "cdef");
  EXPECT_EQ(r.c_string(8, 16), std::nullopt);
  EXPECT_EQ(ByteReader(std::string_view("abc")).c_string(0, 16), std::nullopt);
}

}  // namespace
}  // namespace mitsu
