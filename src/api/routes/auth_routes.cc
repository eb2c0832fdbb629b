// Browser log-in and log-out, and who the caller is. A password login sets the session cookie
// and returns the CSRF token the dashboard sends back on every state-changing request.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "api/routes/routes.h"

namespace mitsu::api {
namespace {

nlohmann::json principal_json(const Principal& p) {
  nlohmann::json out = {{"user", p.user}, {"role", role_name(p.role)}, {"via", p.via}};
  if (p.browser) {
    out["csrf_token"] = p.csrf_token;
  }
  return out;
}

}  // namespace

void add_auth_routes(Router& router, ApiContext& context) {
  Authenticator& auth = context.auth;
  router.add(Route{
      "POST", "/api/v1/auth/login", {}, {}, [&auth](const RouteContext& rc) -> Result<ApiResponse> {
        auto body = nlohmann::json::parse(rc.request.body, nullptr, false);
        if (body.is_discarded() || !body.is_object() || !body.contains("user") ||
            !body.contains("password") || !body["user"].is_string() ||
            !body["password"].is_string()) {
          return Error::invalid(R"(the body must be {"user": "...", "password": "..."})");
        }
        std::string user = body["user"];
        if (Status valid = validate_user_name(user); !valid) {
          return Error::invalid("wrong user name or password");
        }
        std::int64_t retry_after = 0;
        auto login = auth.login(user, body["password"], rc.request.peer, &retry_after);
        if (!login && retry_after > 0) {
          ApiResponse r = error_response(429, login.error());
          r.headers.emplace_back("Retry-After", std::to_string(retry_after));
          return r;
        }
        if (!login) {
          return login.error_kind() == ErrorKind::kInvalidInput
                     ? Result<ApiResponse>(error_response(401, login.error()))
                     : login.failure();
        }
        ApiResponse r = json_response(principal_json(login->principal));
        r.headers.emplace_back("Set-Cookie", login->cookie);
        return r;
      }});
  router.add(Route{"POST",
                   "/api/v1/auth/logout",
                   kAllRoles,
                   {},
                   [&auth](const RouteContext& rc) -> Result<ApiResponse> {
                     ApiResponse r = json_response({{"logged_out", true}});
                     r.headers.emplace_back("Set-Cookie", auth.logout(rc.request));
                     return r;
                   }});
  router.add(Route{
      "GET", "/api/v1/auth/me", kAllRoles, {}, [](const RouteContext& rc) -> Result<ApiResponse> {
        return json_response(principal_json(*rc.principal));
      }});
}

}  // namespace mitsu::api
