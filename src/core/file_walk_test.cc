#include "core/file_walk.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace mitsu {
namespace {

namespace fs = std::filesystem;

std::string why_of(const WalkedFiles& walked, const fs::path& path) {
  for (const SkippedPath& s : walked.skipped) {
    if (s.path == path) {
      return s.why;
    }
  }
  return "(not skipped)";
}

// The entries a sample directory really holds after an attacker or a careless copy: loops,
// dangling links, FIFOs, links out of the tree.
TEST(FileWalk, TakesEveryRegularFileAndSaysWhyItSkipsTheRest) {
  testing::TempDir tmp("file-walk-test");
  fs::path root = tmp.path() / "samples";
  fs::create_directories(root / "sub");
  std::ofstream(root / "a.bin") << "a";
  std::ofstream(root / "sub" / "b.bin") << "b";
  fs::create_symlink(root / "a.bin", root / "link-to-a");
  fs::create_symlink(root / "loop1", root / "loop2");
  fs::create_symlink(root / "loop2", root / "loop1");
  fs::create_symlink(root / "gone", root / "dangling");
  fs::create_directory_symlink(root, root / "sub" / "up");
  ASSERT_EQ(::mkfifo((root / "pipe").c_str(), 0600), 0);

  WalkedFiles walked = walk_files({root});
  EXPECT_EQ(walked.files,
            (std::vector<fs::path>{root / "a.bin", root / "link-to-a", root / "sub" / "b.bin"}));
  EXPECT_EQ(why_of(walked, root / "loop1"), "symbolic link loop");
  EXPECT_EQ(why_of(walked, root / "loop2"), "symbolic link loop");
  EXPECT_EQ(why_of(walked, root / "dangling"), "dangling symbolic link");
  EXPECT_EQ(why_of(walked, root / "pipe"), "FIFO, not a regular file");
  EXPECT_EQ(why_of(walked, root / "sub" / "up"), "symbolic link to a directory, not followed");
  EXPECT_EQ(walked.skipped.size(), 5u);
  for (const SkippedPath& s : walked.skipped) {
    EXPECT_FALSE(s.given) << s.path;
  }
}

TEST(FileWalk, PathsGivenDirectlyAreReportedWithTheirRealReason) {
  testing::TempDir tmp("file-walk-given");
  fs::create_symlink(tmp.path() / "x", tmp.path() / "y");
  fs::create_symlink(tmp.path() / "y", tmp.path() / "x");
  WalkedFiles walked = walk_files({"/dev/null", tmp.path() / "x", tmp.path() / "missing"});
  EXPECT_TRUE(walked.files.empty());
  ASSERT_EQ(walked.skipped.size(), 3u);
  EXPECT_EQ(walked.skipped[0].why, "character device, not a regular file");
  EXPECT_EQ(walked.skipped[1].why, "symbolic link loop");
  EXPECT_EQ(walked.skipped[2].why, "no such file or directory");
  EXPECT_TRUE(walked.skipped[0].given);
}

}  // namespace
}  // namespace mitsu
