#include "artifacts/artifact_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "testing/temp_dir.h"

namespace mitsu::artifacts {
namespace {

namespace fs = std::filesystem;

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ArtifactStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ArtifactStore> open(std::uint64_t max_bytes = kDefaultMaxArtifactBytes) {
    auto store = ArtifactStore::open({dir_.path(), max_bytes});
    EXPECT_TRUE(store.ok()) << store.error();
    return std::move(*store);
  }
  std::size_t stored_files() {
    std::size_t n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
      n += entry.is_regular_file() && entry.path().filename().string().size() == 64;
    }
    return n;
  }

  mitsu::testing::TempDir dir_{"artifacts-test"};
};

// sha256("abc") from FIPS 180-2.
constexpr const char* kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST_F(ArtifactStoreTest, StoresByContentHashInShardedDirectories) {
  auto store = open();
  auto put = store->put(bytes_of("abc"));
  ASSERT_TRUE(put.ok()) << put.error();
  EXPECT_TRUE(put->newly_stored);
  EXPECT_EQ(put->info.sha256, kAbcSha256);
  EXPECT_EQ(put->info.size, 3u);
  fs::path path = store->path_for(kAbcSha256);
  EXPECT_EQ(path, dir_.path() / "ba" / "78" / kAbcSha256);
  EXPECT_EQ(read_file(path), "abc");
}

TEST_F(ArtifactStoreTest, SameBytesTwiceKeepOneFile) {
  auto store = open();
  ASSERT_TRUE(store->put(bytes_of("payload")));
  auto second = store->put(bytes_of("payload"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->newly_stored);
  EXPECT_EQ(second->info.size, 7u);
  EXPECT_EQ(stored_files(), 1u);
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
}

// Sightings (who, when, from where) live in events and the catalog; the store is files only.
TEST_F(ArtifactStoreTest, KeepsNothingButTheFiles) {
  auto store = open();
  ASSERT_TRUE(store->put(bytes_of("abc")));
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
    if (entry.is_regular_file()) {
      names.push_back(entry.path().filename().string());
    }
  }
  EXPECT_EQ(names, std::vector<std::string>{kAbcSha256});
}

TEST_F(ArtifactStoreTest, NeverSetsAnExecBit) {
  auto store = open();
  std::string elf =
      "\x7f"
      "ELF fake binary";
  auto put = store->put(bytes_of(elf));
  ASSERT_TRUE(put.ok());
  struct stat st {};
  ASSERT_EQ(::stat(store->path_for(put->info.sha256).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0111, 0u);
  EXPECT_EQ(st.st_mode & 0222, 0u) << "stored artifacts are read-only";
}

TEST_F(ArtifactStoreTest, RefusesPastTheSizeCapAndLeavesNothing) {
  auto store = open(/*max_bytes=*/10);
  auto writer = store->begin();
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->write(bytes_of("12345")));
  Status over = writer->write(bytes_of("678901"));
  EXPECT_FALSE(over);
  EXPECT_NE(over.error().find("size cap"), std::string::npos);
  EXPECT_FALSE(writer->commit().ok());
  EXPECT_EQ(stored_files(), 0u);
  EXPECT_FALSE(store->put(bytes_of(std::string(11, 'x'))).ok());
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
}

TEST_F(ArtifactStoreTest, AbandonedWriteNeverBecomesAnArtifact) {
  auto store = open();
  {
    auto writer = store->begin();
    ASSERT_TRUE(writer->write(bytes_of("half a download")));
    // destroyed without commit: the connection dropped mid-transfer
  }
  EXPECT_EQ(stored_files(), 0u);
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
}

TEST_F(ArtifactStoreTest, TempFilesLeftByACrashAreCleanedOnOpen) {
  { auto store = open(); }
  std::ofstream(dir_.path() / "tmp" / "0123.part") << "partial";
  auto store = open();
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(ArtifactStoreTest, ConcurrentPutsOfTheSameBytesKeepOneWholeFile) {
  auto store = open();
  std::string content(200'000, 'm');
  std::atomic<int> stored{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto put = store->put(bytes_of(content));
      EXPECT_TRUE(put.ok()) << put.error();
      stored += put.ok() && put->newly_stored;
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(stored.load(), 1) << "exactly one writer stores the bytes";
  EXPECT_EQ(stored_files(), 1u);
  for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
    if (entry.path().filename().string().size() == 64) {
      EXPECT_EQ(read_file(entry.path()), content);
    }
  }
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
}

TEST_F(ArtifactStoreTest, InfoComesFromTheFileAndSurvivesReopen) {
  {
    auto store = open();
    ASSERT_TRUE(store->put(bytes_of("abc")));
  }
  auto store = open();
  auto info = store->info(kAbcSha256);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->sha256, kAbcSha256);
  EXPECT_EQ(info->size, 3u);
  EXPECT_FALSE(store->info(std::string(64, '0')).has_value());
}

TEST_F(ArtifactStoreTest, AHashNeverNamesAPathOutsideTheStore) {
  auto store = open();
  for (std::string_view bad :
       {"../../etc/passwd", "", "abc",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"}) {
    EXPECT_EQ(store->path_for(bad), dir_.path() / "invalid") << bad;
    EXPECT_FALSE(store->info(bad).has_value()) << bad;
    EXPECT_FALSE(store->read(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mitsu::artifacts
