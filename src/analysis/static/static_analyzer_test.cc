#include "analysis/static/static_analyzer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/safe_text.h"

namespace mitsu::analysis {
namespace {

namespace fs = std::filesystem;

std::string decoded(const nlohmann::json& encoded) {
  std::string bytes;
  EXPECT_TRUE(base64_decode(encoded.get<std::string>(), bytes));
  return bytes;
}

// Sample bytes that are not UTF-8 used to make dump() throw (type_error 316) and abort
// `mitsu analyze --json`; the verdict now carries them escaped, with the exact bytes beside.
TEST(StaticVerdict, JsonIsValidAndKeepsBytesThatAreNotUtf8) {
  StaticVerdict v;
  v.elf.is_elf = true;
  v.elf.section_names = {".text",
                         ".fini\x80"
                         "array"};
  v.elf.interpreter = "/lib/ld-uClibc\xff.so.0";
  v.target.reasons = {"+2 embedded libc loader /lib/ld-uClibc\xff.so.0"};
  nlohmann::json doc = v.to_json();
  std::string text;
  ASSERT_NO_THROW(text = doc.dump());
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_EQ(doc["elf"]["sections"][1], ".fini\\x80array");
  EXPECT_EQ(doc["elf"]["interpreter"], "/lib/ld-uClibc\\xff.so.0");
  const nlohmann::json& raw = doc["raw_bytes"];
  ASSERT_EQ(raw.size(), 3u) << raw;
  EXPECT_EQ(decoded(raw["/elf/sections/1"]), v.elf.section_names[1]);
  EXPECT_EQ(decoded(raw["/elf/interpreter"]), v.elf.interpreter);
  EXPECT_EQ(decoded(raw["/target/reasons/0"]), v.target.reasons[0]);
}

TEST(StaticVerdict, CleanVerdictHasNoRawBytes) {
  StaticVerdict v;
  v.elf.is_elf = true;
  v.elf.section_names = {".text", "\xc3\xa9t\xc3\xa9"};  // UTF-8 is kept as it is
  nlohmann::json doc = v.to_json();
  EXPECT_FALSE(doc.contains("raw_bytes"));
  EXPECT_EQ(doc["elf"]["sections"][1], "\xc3\xa9t\xc3\xa9");
}

// A real file from the seed fuzz corpus: i686 libdl.so.2 with eight bytes changed, one of them in
// the section name table.
TEST(StaticAnalyzer, DamagedSectionNamesReachTheVerdictLosslessly) {
  fs::path path = fs::path(MITSU_SOURCE_DIR) /
                  "fuzz/corpus/static_analyzer/crash-utf8-00034-i686-linux-gnu_libdl.so.2";
  std::ifstream in(path, std::ios::binary);
  std::vector<char> file((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(file.empty()) << path;
  auto rules = FamilyClassifier::load({MITSU_DEFAULT_RULES_DIR});
  ASSERT_TRUE(rules.ok()) << rules.error();
  StaticAnalyzer analyzer(std::shared_ptr<const FamilyClassifier>(std::move(*rules)));
  auto verdict = analyzer.analyze(std::as_bytes(std::span(file)));
  ASSERT_TRUE(verdict.ok()) << verdict.error();

  nlohmann::json doc = verdict->to_json();
  ASSERT_NO_THROW((void)doc.dump());
  ASSERT_TRUE(doc.contains("raw_bytes"));
  int sections = 0;
  for (const auto& [pointer, encoded] : doc["raw_bytes"].items()) {
    ASSERT_TRUE(pointer.starts_with("/elf/sections/")) << pointer;
    std::size_t index = std::stoul(pointer.substr(14));
    ASSERT_LT(index, verdict->elf.section_names.size());
    EXPECT_EQ(decoded(encoded), verdict->elf.section_names[index]);
    EXPECT_FALSE(is_valid_utf8(verdict->elf.section_names[index]));
    ++sections;
  }
  EXPECT_GE(sections, 1);
  // Strings are printable ASCII runs, whatever the bytes around them.
  for (const ExtractedString& s : verdict->strings.strings) {
    ASSERT_TRUE(is_valid_utf8(s.text)) << s.offset;
  }
}

}  // namespace
}  // namespace mitsu::analysis
