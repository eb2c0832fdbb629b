// Request targets decode as the router expects, and malformed encodings are refused.

#include "api/http/message.h"

#include <gtest/gtest.h>

namespace mitsu::api {
namespace {

TEST(ParseTarget, DecodesThePathAndTheQuery) {
  auto t = parse_target("/api/v1/a%20b?x=1&y=two+words&flag&=empty&z=%2Fslash");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/api/v1/a b");
  ASSERT_EQ(t->query.size(), 5u);
  EXPECT_EQ(t->query[0], (std::pair<std::string, std::string>{"x", "1"}));
  EXPECT_EQ(t->query[1].second, "two words");
  EXPECT_EQ(t->query[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(t->query[3].first, "");
  EXPECT_EQ(parse_target("/a?z=%2Fslash")->query[0].second, "/slash");
  EXPECT_EQ(parse_target("/a+b")->path, "/a+b");  // '+' is a space only in the query
}

TEST(ParseTarget, RefusesBrokenEscapesAndNulBytes) {
  for (const char* bad : {"/a%", "/a%2", "/a%zz", "/a%00", "/a?x=%0", "/a?x=%00", "/a?%g1=1",
                          "/a/..%2F..%2Fetc", "/a/%2f", "api/v1/users", ""}) {
    EXPECT_FALSE(parse_target(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace mitsu::api
