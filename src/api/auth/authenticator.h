#pragma once
// Who is calling: a bearer token (`Authorization: Bearer mitsu_…`, for tools and sensors) or a
// browser session cookie set by a password login. Browser requests that change state must also
// carry the session's CSRF token in `X-CSRF-Token`; tokens need none (no ambient credential).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "api/auth/accounts.h"
#include "api/auth/login_limiter.h"
#include "api/http/message.h"
#include "core/clock.h"
#include "store/account_store.h"

namespace mitsu::api {

// The __Host- prefix makes browsers refuse it unless Secure, Path=/ and without Domain: no other
// host or plain-HTTP page can plant or overwrite it.
inline constexpr std::string_view kSessionCookie = "__Host-mitsu_session";

struct Principal {
  std::string user;
  Role role = Role::kSensor;
  bool browser = false;    // via the session cookie
  std::string csrf_token;  // browser only
  std::string via;         // "token <id>" or "session", for the audit log
};

struct LoginResult {
  Principal principal;
  std::string cookie;  // Set-Cookie value
};

class Authenticator {
 public:
  using Now = std::function<std::int64_t()>;  // unix µs; tests move time
  explicit Authenticator(store::AccountStore& accounts, Now now = now_unix_us,
                         std::int64_t session_lifetime_us = 12 * 3600 * 1'000'000LL);

  // nullopt: the request carries no credentials. An error (invalid) names what was wrong with
  // the credentials it does carry, without echoing them.
  Result<std::optional<Principal>> authenticate(const ApiRequest& request);
  // invalid for wrong credentials, unavailable with the seconds to wait when rate-limited
  // (retry_after_s is set).
  Result<LoginResult> login(const std::string& user, const std::string& password,
                            const std::string& peer, std::int64_t* retry_after_s);
  // The cookie that clears the browser's session; forgets the session server-side.
  std::string logout(const ApiRequest& request);
  // For a state-changing browser request: the X-CSRF-Token header matches the session's.
  static bool csrf_ok(const Principal& principal, const ApiRequest& request);

  store::AccountStore& accounts() { return accounts_; }
  std::int64_t now() const { return now_(); }

 private:
  Result<std::optional<Principal>> from_token(const std::string& secret);
  Result<std::optional<Principal>> from_cookie(const std::string& value);

  store::AccountStore& accounts_;
  Now now_;
  std::int64_t session_lifetime_us_;
  LoginLimiter limiter_;
  std::string dummy_hash_;  // verified when the user is unknown, so timing does not tell
};

}  // namespace mitsu::api
