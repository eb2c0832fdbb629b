#include "analysis/known/known_hash_list.h"

#include <gtest/gtest.h>

namespace mitsu::analysis {
namespace {

const std::string kSha256(64, 'a');
const std::string kMd5(32, 'b');
const std::string kSha1(40, 'c');

TEST(KnownHashList, ReadsMalwareBazaarCsvDumps) {
  std::string csv =
      "################################################################\n"
      "# MalwareBazaar full data dump (CSV)                           #\n"
      "# \"first_seen_utc\",\"sha256_hash\",\"md5_hash\",\"sha1_hash\",\"reporter\","
      "\"file_name\",\"file_type_guess\",\"mime_type\",\"signature\",\"clamav\",\"vtpercent\","
      "\"imphash\",\"ssdeep\",\"tlsh\"\n"
      "\"2026-10-01 12:00:00\", \"" +
      kSha256 + "\", \"" + kMd5 + "\", \"" + kSha1 +
      "\", \"someone\", \"x.arm7\", \"elf\", \"application/x-executable\", \"Mirai\", \"n/a\", "
      "\"n/a\", \"n/a\", \"3:a:b\", \"n/a\"\n"
      "\"broken row\"\n"
      "# trailer\n";
  KnownHashList list = parse_known_hashes(csv, "bazaar");
  EXPECT_EQ(list.format, "malwarebazaar-csv");
  ASSERT_EQ(list.hashes.size(), 3u);
  EXPECT_EQ(list.hashes[0].hash, kSha256);
  EXPECT_EQ(list.hashes[1].hash, kMd5);
  EXPECT_EQ(list.hashes[2].hash, kSha1);
  EXPECT_EQ(list.hashes[0].signature, "Mirai");
  EXPECT_EQ(list.hashes[0].source, "bazaar");
  EXPECT_EQ(list.hashes[0].first_seen_us, 1'790'856'000'000'000);
  ASSERT_EQ(list.problems.size(), 1u);
  EXPECT_EQ(list.problems[0].rfind("5:", 0), 0u) << list.problems[0];
}

TEST(KnownHashList, ReadsPlainListsOfAnyHashKind) {
  std::string text = "# our feed\n" + kSha256 + "\n" + std::string(32, 'D') + "  x.bin\n" + kSha1 +
                     "\nnot-a-hash\n\n";
  KnownHashList list = parse_known_hashes(text, "feed");
  EXPECT_EQ(list.format, "hash-list");
  ASSERT_EQ(list.hashes.size(), 3u);
  EXPECT_EQ(list.hashes[1].hash, std::string(32, 'd')) << "hashes are lower-cased";
  ASSERT_EQ(list.problems.size(), 1u);
  EXPECT_EQ(list.problems[0].rfind("5:", 0), 0u);
}

}  // namespace
}  // namespace mitsu::analysis
