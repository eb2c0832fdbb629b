// The cross-compiled fixtures (tests/fixtures/samples: small C programs that carry family
// indicators, built for ARM, MIPS and MIPSel by Debian's cross compilers) get the right family and
// CPU; the clean program gets none.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "analysis/static/static_analyzer.h"

namespace mitsu::analysis {
namespace {

namespace fs = std::filesystem;

std::vector<std::byte> read_file(const fs::path& path) {
  std::vector<std::byte> out(fs::file_size(path));
  std::ifstream(path, std::ios::binary)
      .read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  return out;
}

TEST(SampleFixtures, CrossCompiledFixturesAreClassifiedOnEveryCpu) {
  auto rules = FamilyClassifier::load({MITSU_DEFAULT_RULES_DIR});
  ASSERT_TRUE(rules.ok()) << rules.error();
  StaticAnalyzer analyzer(std::shared_ptr<const FamilyClassifier>(std::move(*rules)));
  const std::map<std::string, std::string> kFamilies{
      {"mirai_like", "Mirai"},         {"gafgyt_like", "Gafgyt"},
      {"tsunami_like", "Tsunami"},     {"mozi_like", "Mozi"},
      {"vpnfilter_like", "VPNFilter"}, {"clean", std::string(kUnclassified)}};
  int checked = 0;
  for (const std::string arch : {"arm", "mips", "mipsel"}) {
    for (const auto& [name, family] : kFamilies) {
      fs::path path = fs::path(MITSU_FIXTURE_DIR) / (name + "." + arch);
      ASSERT_TRUE(fs::exists(path)) << path << " (cross compilers: scripts/install-deps.sh)";
      auto verdict = analyzer.analyze(read_file(path));
      ASSERT_TRUE(verdict.ok()) << verdict.error();
      EXPECT_EQ(verdict->family.family, family) << path;
      EXPECT_EQ(verdict->elf.arch, arch) << path;
      EXPECT_EQ(verdict->elf.linkage, "static");
      EXPECT_EQ(verdict->target.target, "iot") << path;
      if (name == "mirai_like") {
        EXPECT_EQ(verdict->strings.xor_keys, std::vector<std::uint8_t>{0x22}) << path;
        EXPECT_GE(verdict->strings.iocs.credentials.size(), 3u) << path;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 18);
}

}  // namespace
}  // namespace mitsu::analysis
