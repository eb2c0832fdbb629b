#include "api/auth/authenticator.h"

#include <fmt/format.h>

#include <algorithm>

#include "api/auth/secrets.h"

namespace mitsu::api {
namespace {

constexpr std::size_t kMaxCredentialBytes = 512;

std::string session_cookie(std::string_view value, std::int64_t max_age_s) {
  // Secure: HTTPS only; HttpOnly: no script reads it; SameSite=Strict: no cross-site request
  // carries it (the CSRF token is the second wall).
  return fmt::format("{}={}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Strict", kSessionCookie,
                     value, max_age_s);
}

}  // namespace

Authenticator::Authenticator(store::AccountStore& accounts, Now now,
                             std::int64_t session_lifetime_us)
    : accounts_(accounts),
      now_(std::move(now)),
      session_lifetime_us_(session_lifetime_us),
      dummy_hash_() {
  auto dummy = hash_password("not a password anyone has");
  dummy_hash_ = dummy ? *dummy : std::string();
}

Result<std::optional<Principal>> Authenticator::from_token(const std::string& secret) {
  if (secret.size() > kMaxCredentialBytes) {
    return Error::invalid("the bearer token is not valid");
  }
  auto token = accounts_.token_by_secret(sha256_hex(secret));
  if (!token) {
    return token.failure();
  }
  std::int64_t now = now_();
  if (!token->has_value() || ((*token)->expires_us && *(*token)->expires_us <= now)) {
    return Error::invalid("the bearer token is not valid (unknown, revoked or expired)");
  }
  auto user = accounts_.user((*token)->user);
  if (!user) {
    return user.failure();
  }
  auto role = parse_role((*token)->role);
  auto user_role = user->has_value() ? parse_role((*user)->role) : std::nullopt;
  if (!role || !user_role) {
    return Error::invalid("the bearer token's user no longer exists");
  }
  role = std::min(*role, *user_role);  // a demoted user's tokens are demoted with it
  // Best effort, and at most once a minute: a read-only request rarely writes.
  if (!(*token)->last_used_us || *(*token)->last_used_us < now - 60'000'000) {
    (void)accounts_.touch_token((*token)->id, now);
  }
  return std::optional<Principal>(
      Principal{(*token)->user, *role, false, "", "token " + (*token)->id});
}

Result<std::optional<Principal>> Authenticator::from_cookie(const std::string& value) {
  if (value.size() > kMaxCredentialBytes) {
    return Error::invalid("the session cookie is not valid");
  }
  auto session = accounts_.web_session(sha256_hex(value), now_());
  if (!session) {
    return session.failure();
  }
  if (!session->has_value()) {
    return Error::invalid("the session has ended; log in again");
  }
  auto user = accounts_.user((*session)->user);
  if (!user) {
    return user.failure();
  }
  auto role = user->has_value() ? parse_role((*user)->role) : std::nullopt;
  if (!role) {
    return Error::invalid("the session's user no longer exists");
  }
  // The role is read at every request, so a demotion takes effect at once.
  return std::optional<Principal>(
      Principal{(*session)->user, *role, true, (*session)->csrf_token, "session"});
}

Result<std::optional<Principal>> Authenticator::authenticate(const ApiRequest& request) {
  if (const std::string* authorization = request.header("authorization")) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization->rfind(kBearer, 0) != 0) {
      return Error::invalid("the Authorization header must be \"Bearer <token>\"");
    }
    return from_token(authorization->substr(kBearer.size()));
  }
  if (const std::string* cookies = request.header("cookie")) {
    if (auto value = cookie_value(*cookies, kSessionCookie)) {
      return from_cookie(*value);
    }
  }
  return std::optional<Principal>{};
}

Result<LoginResult> Authenticator::login(const std::string& user, const std::string& password,
                                         const std::string& peer, std::int64_t* retry_after_s) {
  std::int64_t now = now_();
  if (std::int64_t wait = limiter_.retry_after(peer, user, now); wait > 0) {
    *retry_after_s = wait;
    return Error::unavailable(fmt::format("too many failed logins; try again in {} s", wait));
  }
  auto record = accounts_.user(user);
  if (!record) {
    return record.failure();
  }
  // Counted before the slow verification, so parallel guesses cannot all slip under the limit.
  limiter_.failed(peer, user, now);
  bool known = record->has_value() && !(*record)->password_hash.empty();
  bool ok = verify_password(password, known ? (*record)->password_hash : dummy_hash_) && known;
  auto role = known ? parse_role((*record)->role) : std::nullopt;
  if (!ok || !role) {
    return Error::invalid("wrong user name or password");
  }
  limiter_.succeeded(peer, user);
  std::string cookie = random_hex(32);
  std::string csrf = random_hex(32);
  if (Status added = accounts_.add_web_session(
          store::WebSessionRecord{sha256_hex(cookie), user, csrf, now, now + session_lifetime_us_});
      !added) {
    return added.failure();
  }
  (void)accounts_.purge_web_sessions(now);
  return LoginResult{Principal{user, *role, true, csrf, "session"},
                     session_cookie(cookie, session_lifetime_us_ / 1'000'000)};
}

std::string Authenticator::logout(const ApiRequest& request) {
  if (const std::string* cookies = request.header("cookie")) {
    if (auto value = cookie_value(*cookies, kSessionCookie)) {
      (void)accounts_.remove_web_session(sha256_hex(*value));
    }
  }
  return session_cookie("", 0);
}

bool Authenticator::csrf_ok(const Principal& principal, const ApiRequest& request) {
  if (!principal.browser) {
    return true;
  }
  const std::string* sent = request.header("x-csrf-token");
  return sent != nullptr && equal_secrets(*sent, principal.csrf_token);
}

}  // namespace mitsu::api
