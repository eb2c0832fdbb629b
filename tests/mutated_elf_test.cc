// `mitsu analyze --json` over 2,000 damaged real ELF files gives 2,000 valid JSON verdicts (issue
// 21). The inputs are Debian's cross libcs for 16 CPUs (scripts/fetch-elf-corpus.sh, fetched by
// the elf_corpus fixture) and the cross-compiled sample fixtures, each copy with eight random
// bytes changed by scripts/mutate-elf-corpus.py under a fixed seed. Damaged section name tables
// and interpreter paths are not UTF-8; before the fix such a file made the command abort.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/safe_text.h"
#include "testing/sha256.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace mitsu {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::run_process;

constexpr int kLibcFiles = 1950;
constexpr int kFixtureFiles = 50;  // the fixtures are ~600 KB each: a few keep the test fast

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void mutate(const fs::path& out, const std::string& input, int count, const std::string& max_size) {
  ProcessResult r = run_process(
      {"python3", std::string(MITSU_SOURCE_DIR) + "/scripts/mutate-elf-corpus.py", "--seed", "21",
       "--count", std::to_string(count), "--max-size", max_size, out.string(), input});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Every raw_bytes entry decodes to bytes that are not UTF-8 and whose escaped form is the text at
// its pointer: nothing was lost.
void expect_lossless(const nlohmann::json& verdict, const std::string& path) {
  for (const auto& [pointer, encoded] : verdict["raw_bytes"].items()) {
    std::string bytes;
    ASSERT_TRUE(encoded.is_string() && base64_decode(encoded.get<std::string>(), bytes)) << path;
    EXPECT_FALSE(is_valid_utf8(bytes)) << path << " " << pointer;
    const nlohmann::json& value = verdict.at(nlohmann::json::json_pointer(pointer));
    ASSERT_TRUE(value.is_string()) << path << " " << pointer;
    EXPECT_EQ(value.get<std::string>(), escape_invalid_utf8(bytes)) << path << " " << pointer;
  }
}

TEST(MutatedElf, AnalyzeJsonGivesOneValidVerdictPerDamagedFile) {
  fs::path libc = fs::path(MITSU_ELF_CORPUS) / "root" / "usr";
  ASSERT_TRUE(fs::exists(libc)) << "run scripts/fetch-elf-corpus.sh " << MITSU_ELF_CORPUS;
  ASSERT_TRUE(fs::exists(fs::path(MITSU_FIXTURE_DIR) / "mirai_like.arm"))
      << MITSU_FIXTURE_DIR << " (cross compilers: scripts/install-deps.sh)";
  testing::TempDir dir("mutated-elf");
  fs::path samples = dir / "samples";
  ASSERT_NO_FATAL_FAILURE(
      mutate(samples / "libc", libc.string(), kLibcFiles, std::to_string(200 * 1024)));
  ASSERT_NO_FATAL_FAILURE(
      mutate(samples / "fixtures", MITSU_FIXTURE_DIR, kFixtureFiles, std::to_string(1024 * 1024)));

  auto start = std::chrono::steady_clock::now();
  ProcessResult r = run_process(
      {MITSU_EXE, "--data-dir", (dir / "data").string(), "analyze", "--json", samples.string()});
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.signal, 0) << r.err.substr(0, 2000);
  EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);

  std::istringstream lines(r.out);
  std::map<std::string, int> seen;
  int verdicts = 0, escaped = 0;
  for (std::string line; std::getline(lines, line);) {
    ++verdicts;
    ASSERT_TRUE(is_valid_utf8(line)) << line.substr(0, 300);
    nlohmann::json verdict = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(verdict.is_discarded()) << line.substr(0, 300);
    ASSERT_TRUE(verdict["path"].is_string() && verdict["hashes"]["sha256"].is_string()) << line;
    std::string path = verdict["path"].get<std::string>();
    EXPECT_EQ(verdict["hashes"]["sha256"], testing::sha256_of(read_bytes(path))) << path;
    ++seen[path];
    if (verdict.contains("raw_bytes")) {
      ++escaped;
      expect_lossless(verdict, path);
    }
  }
  EXPECT_EQ(verdicts, kLibcFiles + kFixtureFiles);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kLibcFiles + kFixtureFiles)) << "one per file";
  // The seed damages some section names: the escaping path is exercised, not only clean text.
  EXPECT_GT(escaped, 0);
  std::printf("%d verdicts, %d with escaped bytes, analysed in %.1f s\n", verdicts, escaped,
              seconds);
}

}  // namespace
}  // namespace mitsu
