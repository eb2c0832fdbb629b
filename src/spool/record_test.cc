#include "spool/record.h"

#include <gtest/gtest.h>

namespace mitsu::spool {
namespace {

std::string framed(std::string_view payload) {
  std::string out;
  encode_record(payload, out);
  return out;
}

TEST(Record, RoundTrips) {
  for (std::string payload : {std::string(), std::string("x"), std::string(70000, 'e')}) {
    std::string bytes = framed(payload);
    ASSERT_EQ(bytes.size(), kRecordHeaderBytes + payload.size());
    DecodedRecord record = decode_record(as_bytes(bytes));
    ASSERT_EQ(record.status, DecodeStatus::kOk);
    EXPECT_EQ(record.consumed, bytes.size());
    EXPECT_EQ(as_text(record.payload), payload);
  }
}

TEST(Record, EveryProperPrefixNeedsMore) {
  std::string bytes = framed("{\"event\":1}");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    DecodedRecord record = decode_record(as_bytes(std::string_view(bytes).substr(0, n)));
    EXPECT_EQ(record.status, DecodeStatus::kNeedMore) << n;
    if (n >= kRecordHeaderBytes) {
      EXPECT_EQ(record.needed, bytes.size());
    }
  }
}

TEST(Record, AnyFlippedBitIsNoticed) {
  std::string good = framed("{\"event\":\"payload\"}");
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      DecodedRecord record = decode_record(as_bytes(bad));
      EXPECT_NE(record.status, DecodeStatus::kOk) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(Record, ImplausibleLengthIsCorrupt) {
  std::string bytes(16, '\xff');
  EXPECT_EQ(decode_record(as_bytes(bytes)).status, DecodeStatus::kCorrupt);
}

TEST(Record, DecodesBackToBackRecords) {
  std::string bytes = framed("one") + framed("two");
  DecodedRecord first = decode_record(as_bytes(bytes));
  ASSERT_EQ(first.status, DecodeStatus::kOk);
  DecodedRecord second = decode_record(as_bytes(bytes).subspan(first.consumed));
  ASSERT_EQ(second.status, DecodeStatus::kOk);
  EXPECT_EQ(as_text(second.payload), "two");
}

}  // namespace
}  // namespace mitsu::spool
