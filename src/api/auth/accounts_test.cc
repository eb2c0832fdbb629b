// Accounts: names and roles are checked, passwords are hashed with Argon2id and verified, tokens
// cannot outrank their user, and the last admin cannot be removed.

#include "api/auth/accounts.h"

#include <gtest/gtest.h>

#include "api/auth/login_limiter.h"
#include "api/auth/secrets.h"
#include "api/stores_test_fixture.h"
#include "store/store_factory.h"
#include "testing/temp_dir.h"

namespace mitsu::api {
namespace {

TEST(Secrets, PasswordsAreArgon2idWithARandomSalt) {
  auto a = hash_password("correct horse battery");
  auto b = hash_password("correct horse battery");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *a;
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verify_password("correct horse battery", *a));
  EXPECT_FALSE(verify_password("correct horse batterx", *a));
  EXPECT_FALSE(verify_password("correct horse battery", "$2b$10$notargon"));
  EXPECT_EQ(hash_password("short").error_kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(hash_password(std::string(2000, 'x')).error_kind(), ErrorKind::kInvalidInput);
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(random_hex(16).size(), 32u);
  EXPECT_NE(random_hex(16), random_hex(16));
}

class AccountsTest : public StoresTest {
 protected:
  store::AccountStore& accounts() { return *stores_.accounts; }
};

TEST_F(AccountsTest, NamesAndPasswordsAreChecked) {
  for (const char* bad : {"", "Root", "-x", ".x", "a b", "a/b", "é"}) {
    EXPECT_FALSE(validate_user_name(bad)) << bad;
  }
  EXPECT_TRUE(validate_user_name("soc.analyst-2"));
  EXPECT_FALSE(create_user(accounts(), "x", Role::kAdmin, "short", "cli", 1));
  ASSERT_TRUE(create_user(accounts(), "x", Role::kAdmin, "a long enough one", "cli", 1));
  auto stored = accounts().user("x");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_TRUE(verify_password("a long enough one", (*stored)->password_hash));
  EXPECT_EQ((*stored)->password_hash.find("a long enough one"), std::string::npos);
}

TEST_F(AccountsTest, TokensNeverOutrankTheirUserAndAreStoredHashed) {
  ASSERT_TRUE(create_user(accounts(), "ana", Role::kAnalyst, "a long enough one", "cli", 1));
  EXPECT_FALSE(issue_token(accounts(), "ana", Role::kAdmin, "", std::nullopt, "cli", 1).ok());
  EXPECT_EQ(issue_token(accounts(), "ghost", std::nullopt, "", std::nullopt, "cli", 1).error_kind(),
            ErrorKind::kNotFound);
  auto token = issue_token(accounts(), "ana", Role::kSensor, "probe", std::nullopt, "cli", 1);
  ASSERT_TRUE(token.ok()) << token.error();
  EXPECT_EQ(token->secret.rfind("mitsu_" + token->record.id + "_", 0), 0u);
  EXPECT_FALSE(accounts().token_by_secret(token->secret)->has_value());
  auto found = accounts().token_by_secret(sha256_hex(token->secret));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->role, "sensor");
}

TEST_F(AccountsTest, TheLastAdminStays) {
  ASSERT_TRUE(create_user(accounts(), "a", Role::kAdmin, "a long enough one", "cli", 1));
  EXPECT_EQ(remove_user(accounts(), "a", "cli", 2).error_kind(), ErrorKind::kConflict);
  ASSERT_TRUE(create_user(accounts(), "b", Role::kAdmin, "a long enough one", "cli", 1));
  EXPECT_TRUE(remove_user(accounts(), "a", "cli", 2));
  EXPECT_EQ(remove_user(accounts(), "b", "cli", 2).error_kind(), ErrorKind::kConflict);
}

TEST(LoginLimiter, CountsFailuresPerUserAndPerPeerInAWindow) {
  LoginLimiter limiter(LoginLimiter::Limits{3, 2, 1'000'000, 4});
  EXPECT_EQ(limiter.retry_after("p", "u", 0), 0);
  limiter.failed("p", "u", 0);
  limiter.failed("p", "u", 100);
  EXPECT_EQ(limiter.retry_after("p", "u", 200), 1);  // per user: 2
  EXPECT_EQ(limiter.retry_after("p", "v", 200), 0);
  limiter.failed("p", "v", 300);
  EXPECT_GT(limiter.retry_after("p", "w", 400), 0);  // per peer: 3
  EXPECT_EQ(limiter.retry_after("q", "w", 400), 0);
  EXPECT_EQ(limiter.retry_after("p", "u", 1'000'200), 0);  // the window moved on
  for (int i = 0; i < 10; ++i) {
    limiter.failed("peer" + std::to_string(i), "x" + std::to_string(i), 2'000'000 + i);
  }
  EXPECT_EQ(limiter.retry_after("peer9", "x9", 2'000'010), 0);  // bounded, nothing breaks
}

}  // namespace
}  // namespace mitsu::api
