#include "spool/spool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "spool/record.h"

namespace mitsu::spool {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mitsu-spool-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Spool> open(SpoolOptions options = {}) {
    options.dir = dir_;
    auto spool = Spool::open(options);
    EXPECT_TRUE(spool.ok()) << spool.error();
    return spool.ok() ? std::move(*spool) : nullptr;
  }

  static std::vector<std::string> payloads(int n, std::string_view prefix = "event-") {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(std::string(prefix) + std::to_string(i));
    }
    return out;
  }

  static std::vector<std::string> read_all(Spool& spool) {
    std::vector<std::string> out;
    while (true) {
      auto batch = spool.read(7);
      EXPECT_TRUE(batch.ok());
      if (!batch.ok() || batch->records.empty()) {
        return out;
      }
      out.insert(out.end(), batch->records.begin(), batch->records.end());
    }
  }

  std::vector<fs::path> segments() {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().extension() == ".seg") {
        out.push_back(entry.path());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
};

TEST_F(SpoolTest, DeliversInOrder) {
  auto spool = open();
  auto written = payloads(50);
  ASSERT_TRUE(spool->append_batch(written));
  ASSERT_TRUE(spool->append("last"));
  written.push_back("last");
  EXPECT_EQ(read_all(*spool), written);
  EXPECT_FALSE(spool->has_unread());
}

TEST_F(SpoolTest, UnacknowledgedRecordsAreDeliveredAgainAfterRestart) {
  Position acked;
  {
    auto spool = open();
    ASSERT_TRUE(spool->append_batch(payloads(10)));
    auto first = spool->read(4);
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->records.size(), 4u);
    ASSERT_TRUE(spool->ack(first->next));
    acked = first->next;
    auto second = spool->read(100);  // read but never acknowledged: a crash before commit
    ASSERT_EQ(second->records.size(), 6u);
  }
  auto spool = open();
  EXPECT_EQ(spool->acknowledged(), acked);
  EXPECT_EQ(spool->recovery().pending_records, 6u);
  auto again = read_all(*spool);
  ASSERT_EQ(again.size(), 6u);
  EXPECT_EQ(again.front(), "event-4");
}

TEST_F(SpoolTest, RewindRedeliversFromTheAcknowledgedPosition) {
  auto spool = open();
  ASSERT_TRUE(spool->append_batch(payloads(5)));
  auto batch = spool->read(3);
  ASSERT_TRUE(spool->ack(batch->next));
  (void)spool->read(10);
  spool->rewind();
  EXPECT_EQ(read_all(*spool), (std::vector<std::string>{"event-3", "event-4"}));
}

TEST_F(SpoolTest, RefusesToAcknowledgeUnreadRecords) {
  auto spool = open();
  ASSERT_TRUE(spool->append_batch(payloads(5)));
  auto batch = spool->read(2);
  Position beyond = batch->next;
  beyond.offset += 1000;
  EXPECT_FALSE(spool->ack(beyond));
}

// The acceptance case: a crash can cut the last record at any byte. Every cut keeps every
// record before it, cuts the tail, says how much it discarded, and appends cleanly after.
TEST_F(SpoolTest, RecoversFromTruncationAtEveryOffsetOfTheLastRecord) {
  const std::string last = "{\"the\":\"last record, torn by a crash\"}";
  std::uintmax_t full_size = 0;
  std::uintmax_t last_start = 0;
  {
    auto spool = open();
    ASSERT_TRUE(spool->append_batch(payloads(20)));
    last_start = fs::file_size(segments().front());
    ASSERT_TRUE(spool->append(last));
  }
  full_size = fs::file_size(segments().front());
  ASSERT_EQ(full_size - last_start, kRecordHeaderBytes + last.size());
  fs::path copy = dir_.string() + ".orig";
  fs::copy_file(segments().front(), copy, fs::copy_options::overwrite_existing);

  for (std::uintmax_t cut = last_start; cut < full_size; ++cut) {
    fs::copy_file(copy, segments().front(), fs::copy_options::overwrite_existing);
    fs::resize_file(segments().front(), cut);
    auto spool = open();
    ASSERT_TRUE(spool) << cut;
    const RecoveryReport& report = spool->recovery();
    EXPECT_EQ(report.discarded_bytes, cut - last_start) << cut;
    EXPECT_EQ(report.pending_records, 20u) << cut;
    if (cut > last_start) {
      ASSERT_FALSE(report.problems.empty());
      EXPECT_NE(report.problems.back().find("torn tail"), std::string::npos)
          << report.problems.back();
    }
    EXPECT_EQ(fs::file_size(segments().front()), last_start) << "tail must be cut";
    ASSERT_TRUE(spool->append("after-restart"));
    auto all = read_all(*spool);
    ASSERT_EQ(all.size(), 21u) << cut;
    EXPECT_EQ(all[19], "event-19");
    EXPECT_EQ(all[20], "after-restart");
    spool.reset();
    fs::remove(dir_ / "ack");
  }
  fs::remove(copy);
}

TEST_F(SpoolTest, GarbageTailIsDiscarded) {
  {
    auto spool = open();
    ASSERT_TRUE(spool->append_batch(payloads(3)));
  }
  {
    std::ofstream out(segments().front(), std::ios::app | std::ios::binary);
    out << std::string("\x10\x00\x00\x00garbage-not-a-record", 24);
  }
  auto spool = open();
  EXPECT_EQ(spool->recovery().discarded_bytes, 24u);
  EXPECT_EQ(read_all(*spool), payloads(3));
}

TEST_F(SpoolTest, DamageInTheMiddleSkipsOnlyTheDamagedRecord) {
  {
    auto spool = open();
    ASSERT_TRUE(spool->append_batch(payloads(10, "record-number-")));
  }
  // Flip a byte inside the payload of the fifth record.
  std::uintmax_t record_bytes = kRecordHeaderBytes + std::string("record-number-0").size();
  std::uintmax_t offset = kSegmentHeaderBytes + 4 * record_bytes + kRecordHeaderBytes + 3;
  {
    std::fstream f(segments().front(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put('#');
  }
  auto spool = open();
  EXPECT_EQ(spool->recovery().discarded_bytes, record_bytes);
  auto all = read_all(*spool);
  auto expected = payloads(10, "record-number-");
  expected.erase(expected.begin() + 4);
  EXPECT_EQ(all, expected);
  EXPECT_EQ(spool->stats().damaged_bytes_skipped, record_bytes);
}

TEST_F(SpoolTest, RollsSegmentsAndRemovesThemOnlyOnceAcknowledged) {
  SpoolOptions options;
  options.segment_bytes = 4096;
  auto spool = open(options);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(spool->append_batch(payloads(10, std::string(40, 'p'))));
  }
  std::size_t before = segments().size();
  ASSERT_GE(before, 4u);
  for (const fs::path& segment : segments()) {
    EXPECT_LE(fs::file_size(segment), 4096u);
  }
  auto batch = spool->read(150);  // part of the way through
  ASSERT_EQ(batch->records.size(), 150u);
  EXPECT_EQ(segments().size(), before) << "nothing is removed before an ack";
  ASSERT_TRUE(spool->ack(batch->next));
  std::size_t after_partial = segments().size();
  EXPECT_LT(after_partial, before);
  EXPECT_GE(after_partial, 2u) << "segments with unacknowledged records stay";
  auto rest = read_all(*spool);
  EXPECT_EQ(rest.size(), 250u);
  ASSERT_TRUE(spool->ack(spool->read(1)->next));
  EXPECT_EQ(segments().size(), 1u);
  EXPECT_EQ(spool->stats().segments_removed, before - 1);
}

TEST_F(SpoolTest, OneProcessAtATime) {
  auto first = open();
  SpoolOptions options;
  options.dir = dir_;
  auto second = Spool::open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
  EXPECT_EQ(second.error_kind(), ErrorKind::kConflict);
}

TEST_F(SpoolTest, FsyncPolicies) {
  {
    SpoolOptions options;
    options.fsync = FsyncPolicy::kAlways;
    auto spool = open(options);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(spool->append("x"));
    }
    EXPECT_EQ(spool->stats().fsyncs, 5u);
  }
  fs::remove_all(dir_);
  {
    SpoolOptions options;
    options.fsync = FsyncPolicy::kInterval;
    options.fsync_interval = std::chrono::hours(1);
    auto spool = open(options);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(spool->append("x"));
    }
    EXPECT_EQ(spool->stats().fsyncs, 0u);
    ASSERT_TRUE(spool->sync());
    EXPECT_EQ(spool->stats().fsyncs, 1u);
  }
  EXPECT_EQ(parse_fsync_policy("never"), FsyncPolicy::kNever);
  EXPECT_FALSE(parse_fsync_policy("sometimes"));
}

TEST_F(SpoolTest, RefusesAFileThatIsNotASegment) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "0000000000000001.seg") << "this is somebody else's file";
  SpoolOptions options;
  options.dir = dir_;
  auto spool = Spool::open(options);
  ASSERT_FALSE(spool.ok());
  EXPECT_NE(spool.error().find("bad magic"), std::string::npos);
}

TEST_F(SpoolTest, ResetsASegmentWhoseHeaderWasTorn) {
  {
    auto spool = open();
    ASSERT_TRUE(spool->append("kept"));
  }
  std::ofstream(dir_ / "0000000000000002.seg") << "MITS";  // crash while creating segment 2
  auto spool = open();
  EXPECT_EQ(spool->recovery().discarded_bytes, 4u);
  ASSERT_TRUE(spool->append("new"));
  EXPECT_EQ(read_all(*spool), (std::vector<std::string>{"kept", "new"}));
}

TEST_F(SpoolTest, UnreadableAckReplaysEverything) {
  {
    auto spool = open();
    ASSERT_TRUE(spool->append_batch(payloads(3)));
    ASSERT_TRUE(spool->ack(spool->read(2)->next));
  }
  std::ofstream(dir_ / "ack") << "garbage";
  auto spool = open();
  EXPECT_EQ(read_all(*spool).size(), 3u) << "at least once: replay, the collector de-duplicates";
}

TEST_F(SpoolTest, RejectsOversizedRecordWithoutWritingAnything) {
  auto spool = open();
  std::vector<std::string> batch{"ok", std::string(kMaxRecordBytes + 1, 'x')};
  EXPECT_FALSE(spool->append_batch(batch));
  EXPECT_TRUE(read_all(*spool).empty());
}

}  // namespace
}  // namespace mitsu::spool
