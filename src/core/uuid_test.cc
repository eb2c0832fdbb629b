#include "core/uuid.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace mitsu {
namespace {

TEST(Uuid, RoundTripsCanonicalText) {
  Uuid7Generator ids;
  Uuid id = ids.next();
  std::string text = id.to_string();
  ASSERT_EQ(text.size(), 36u);
  auto parsed = Uuid::parse(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, id);
}

TEST(Uuid, RejectsNonCanonicalText) {
  for (const char* bad :
       {"01A19467-E800-717B-ACE4-E6DFF85176A6",  // upper case
        "01a19467e800717bace4e6dff85176a6", "01a19467-e800-717b-ace4-e6dff85176a",
        "01a19467-e800-717b-ace4_e6dff85176a6", "zza19467-e800-717b-ace4-e6dff85176a6"}) {
    EXPECT_FALSE(Uuid::parse(bad).has_value()) << bad;
  }
}

TEST(Uuid, Version7CarriesTimeVersionAndVariant) {
  Uuid7Generator ids;
  Uuid id = ids.next_at(1'793'491'200'123);
  EXPECT_EQ(id.version(), 7);
  EXPECT_TRUE(id.is_rfc_variant());
  EXPECT_EQ(id.unix_ms(), 1'793'491'200'123);
}

TEST(Uuid, StrictlyIncreasingWithinOneMillisecond) {
  Uuid7Generator ids;
  Uuid previous = ids.next_at(1000);
  // More than the 12-bit counter holds: the generator must borrow the next millisecond.
  for (int i = 0; i < 10'000; ++i) {
    Uuid id = ids.next_at(1000);
    ASSERT_LT(previous, id) << i;
    ASSERT_LT(previous.to_string(), id.to_string()) << "text order must follow time order";
    previous = id;
  }
}

TEST(Uuid, UniqueAcrossThreadsAndGenerators) {
  Uuid7Generator a;
  Uuid7Generator b;
  std::vector<std::string> out_a, out_b;
  std::thread ta([&] {
    for (int i = 0; i < 20'000; ++i)
      out_a.push_back(a.next().to_string());
  });
  std::thread tb([&] {
    for (int i = 0; i < 20'000; ++i)
      out_b.push_back(b.next().to_string());
  });
  ta.join();
  tb.join();
  std::set<std::string> all(out_a.begin(), out_a.end());
  all.insert(out_b.begin(), out_b.end());
  EXPECT_EQ(all.size(), 40'000u);
}

}  // namespace
}  // namespace mitsu
