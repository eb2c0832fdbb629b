// Account store conformance: users, tokens, browser sessions and the audit log keep what the API
// relies on — unique names, look-up by secret hash only, expiry, removal that takes the user's
// credentials with it, and everything surviving a reopen.

#include "conformance.h"

namespace mitsu::store::conformance {
namespace {

using AccountConformance = EngineTest;

UserRecord alice() {
  return UserRecord{"alice", "analyst", "$argon2id$v=19$fake", 100};
}

TEST_P(AccountConformance, UsersAreUniqueByNameAndSurviveAReopen) {
  AccountStore& a = *stores_.accounts;
  ASSERT_TRUE(a.add_user(alice()));
  Status again = a.add_user(UserRecord{"alice", "admin", "x", 200});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error_kind(), ErrorKind::kConflict);
  ASSERT_TRUE(a.add_user(UserRecord{"root", "admin", "y", 300}));
  reopen();
  auto user = stores_.accounts->user("alice");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_EQ((*user)->role, "analyst");  // the second add changed nothing
  EXPECT_EQ((*user)->password_hash, "$argon2id$v=19$fake");
  EXPECT_EQ(*stores_.accounts->count_users("admin"), 1u);
  EXPECT_EQ(stores_.accounts->users()->size(), 2u);
  EXPECT_FALSE(stores_.accounts->user("bob")->has_value());
}

TEST_P(AccountConformance, PasswordAndRoleChangeOnlyExistingUsers) {
  AccountStore& a = *stores_.accounts;
  ASSERT_TRUE(a.add_user(alice()));
  ASSERT_TRUE(a.set_password("alice", "new-hash"));
  ASSERT_TRUE(a.set_role("alice", "admin"));
  EXPECT_EQ((*a.user("alice"))->password_hash, "new-hash");
  EXPECT_EQ((*a.user("alice"))->role, "admin");
  EXPECT_EQ(a.set_password("bob", "h").error_kind(), ErrorKind::kNotFound);
  EXPECT_EQ(a.set_role("bob", "admin").error_kind(), ErrorKind::kNotFound);
  EXPECT_EQ(a.remove_user("bob").error_kind(), ErrorKind::kNotFound);
}

TEST_P(AccountConformance, TokensAreFoundByTheirSecretHashAndRevoked) {
  AccountStore& a = *stores_.accounts;
  ASSERT_TRUE(a.add_user(alice()));
  TokenRecord token{"t1", "alice", "analyst", "grafana", 5, std::nullopt, std::nullopt};
  ASSERT_TRUE(a.add_token(token, "hash-1"));
  EXPECT_EQ(a.add_token(token, "hash-2").error_kind(), ErrorKind::kConflict);  // the id is taken
  auto found = a.token_by_secret("hash-1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->user, "alice");
  EXPECT_EQ((*found)->label, "grafana");
  EXPECT_FALSE((*found)->last_used_us.has_value());
  EXPECT_FALSE(a.token_by_secret("t1")->has_value());  // never by its public id
  ASSERT_TRUE(a.touch_token("t1", 42));
  EXPECT_EQ((*a.token_by_secret("hash-1"))->last_used_us, 42);
  ASSERT_TRUE(a.revoke_token("t1"));
  EXPECT_FALSE(a.token_by_secret("hash-1")->has_value());
  EXPECT_EQ(a.revoke_token("t1").error_kind(), ErrorKind::kNotFound);
}

TEST_P(AccountConformance, WebSessionsExpire) {
  AccountStore& a = *stores_.accounts;
  ASSERT_TRUE(a.add_user(alice()));
  ASSERT_TRUE(a.add_web_session(WebSessionRecord{"s1", "alice", "csrf-1", 10, 1000}));
  ASSERT_TRUE(a.add_web_session(WebSessionRecord{"s2", "alice", "csrf-2", 10, 5000}));
  auto live = a.web_session("s1", 999);
  ASSERT_TRUE(live.ok() && live->has_value());
  EXPECT_EQ((*live)->csrf_token, "csrf-1");
  EXPECT_FALSE(a.web_session("s1", 1000)->has_value());
  EXPECT_EQ(*a.purge_web_sessions(1000), 1u);
  EXPECT_TRUE(a.web_session("s2", 1000)->has_value());
  ASSERT_TRUE(a.remove_web_session("s2"));
  EXPECT_FALSE(a.web_session("s2", 1000)->has_value());
}

TEST_P(AccountConformance, ANewPasswordEndsTheUsersBrowserSessions) {
  AccountStore& a = *stores_.accounts;
  ASSERT_TRUE(a.add_user(alice()));
  ASSERT_TRUE(a.add_user(UserRecord{"bob", "analyst", "h", 1}));
  ASSERT_TRUE(a.add_web_session(WebSessionRecord{"s1", "alice", "c", 10, 1000}));
  ASSERT_TRUE(a.add_web_session(WebSessionRecord{"s2", "bob", "c", 10, 1000}));
  ASSERT_TRUE(a.set_password("alice", "changed"));
  EXPECT_FALSE(a.web_session("s1", 0)->has_value());
  EXPECT_TRUE(a.web_session("s2", 0)->has_value());
}

TEST_P(AccountConformance, RemovingAUserRemovesItsCredentials) {
  AccountStore& a = *stores_.accounts;
  ASSERT_TRUE(a.add_user(alice()));
  ASSERT_TRUE(a.add_token(TokenRecord{"t1", "alice", "analyst", "", 5, {}, {}}, "hash-1"));
  ASSERT_TRUE(a.add_web_session(WebSessionRecord{"s1", "alice", "c", 10, 1000}));
  ASSERT_TRUE(a.remove_user("alice"));
  EXPECT_FALSE(a.user("alice")->has_value());
  EXPECT_FALSE(a.token_by_secret("hash-1")->has_value());
  EXPECT_FALSE(a.web_session("s1", 0)->has_value());
}

TEST_P(AccountConformance, TheLastAdminIsNeverRemoved) {
  AccountStore& a = *stores_.accounts;
  ASSERT_TRUE(a.add_user(UserRecord{"root", "admin", "h", 1}));
  ASSERT_TRUE(a.add_user(UserRecord{"ops", "admin", "h", 1}));
  ASSERT_TRUE(a.add_user(alice()));
  ASSERT_TRUE(a.remove_user("ops"));
  EXPECT_EQ(a.remove_user("root").error_kind(), ErrorKind::kConflict);
  EXPECT_TRUE(a.user("root")->has_value());
  EXPECT_TRUE(a.remove_user("alice"));  // others go as before
}

TEST_P(AccountConformance, TheAuditLogReadsNewestFirst) {
  AccountStore& a = *stores_.accounts;
  ASSERT_TRUE(a.audit(AuditEntry{1, "cli", "user.create", "alice", "role analyst"}));
  ASSERT_TRUE(a.audit(AuditEntry{2, "root", "token.revoke", "t1", ""}));
  reopen();
  auto log = stores_.accounts->audit_log(10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].action, "token.revoke");
  EXPECT_EQ((*log)[1].target, "alice");
  EXPECT_EQ(stores_.accounts->audit_log(1)->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, AccountConformance, ::testing::ValuesIn(engines_under_test()),
                         engine_name);

}  // namespace
}  // namespace mitsu::store::conformance
