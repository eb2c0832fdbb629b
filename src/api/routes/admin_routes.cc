// Administration: users, API tokens and the audit log. Admins only; every change is audited
// under the acting admin's name (api/auth/accounts.cc).

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "api/routes/routes.h"
#include "core/clock.h"

namespace mitsu::api {
namespace {

using nlohmann::json;

json user_json(const store::UserRecord& u) {
  return {{"name", u.name}, {"role", u.role}, {"created", format_timestamp_us(u.created_us)}};
}

json token_json(const store::TokenRecord& t) {
  auto optional_time = [](const std::optional<std::int64_t>& us) {
    return us ? json(format_timestamp_us(*us)) : json(nullptr);
  };
  return {{"id", t.id},
          {"user", t.user},
          {"role", t.role},
          {"label", t.label},
          {"created", format_timestamp_us(t.created_us)},
          {"expires", optional_time(t.expires_us)},
          {"last_used", optional_time(t.last_used_us)}};
}

// A string member of a JSON body, or invalid naming it.
Result<std::string> member(const json& body, const char* name, bool required = true) {
  if (!body.contains(name)) {
    if (required) {
      return Error::invalid(fmt::format("the body needs \"{}\"", name));
    }
    return std::string();
  }
  if (!body[name].is_string()) {
    return Error::invalid(fmt::format("\"{}\" must be a string", name));
  }
  return body[name].get<std::string>();
}

Result<json> object_body(const ApiRequest& request) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Error::invalid("the body must be a JSON object");
  }
  return body;
}

}  // namespace

void add_admin_routes(Router& router, ApiContext& context) {
  Authenticator& auth = context.auth;
  router.add(Route{
      "GET", "/api/v1/users", kAdmins, {}, [&auth](const RouteContext&) -> Result<ApiResponse> {
        auto users = auth.accounts().users();
        if (!users) {
          return users.failure();
        }
        json out = json::array();
        for (const auto& u : *users) {
          out.push_back(user_json(u));
        }
        return json_response({{"users", out}});
      }});
  router.add(Route{
      "POST", "/api/v1/users", kAdmins, {}, [&auth](const RouteContext& rc) -> Result<ApiResponse> {
        auto body = object_body(rc.request);
        if (!body) {
          return body.failure();
        }
        auto name = member(*body, "name");
        auto role = member(*body, "role");
        auto password = member(*body, "password");
        if (Status s = first_failure(name, role, password); !s) {
          return s.failure();
        }
        auto parsed = parse_role(*role);
        if (!parsed) {
          return Error::invalid(fmt::format("role must be one of: {}", role_names()));
        }
        if (Status made = create_user(auth.accounts(), *name, *parsed, *password,
                                      rc.principal->user, auth.now());
            !made) {
          return made.failure();
        }
        auto user = auth.accounts().user(*name);
        if (!user || !user->has_value()) {
          return !user ? user.failure() : Error{"the new user is missing"};
        }
        return json_response(user_json(**user), 201);
      }});
  router.add(Route{"DELETE",
                   "/api/v1/users/{name}",
                   kAdmins,
                   {},
                   [&auth](const RouteContext& rc) -> Result<ApiResponse> {
                     const std::string& name = rc.path.at("name");
                     if (Status valid = validate_user_name(name); !valid) {
                       return valid.failure();
                     }
                     if (name == rc.principal->user) {
                       return Error::conflict("an admin cannot remove themself");
                     }
                     if (Status removed =
                             remove_user(auth.accounts(), name, rc.principal->user, auth.now());
                         !removed) {
                       return removed.failure();
                     }
                     return json_response({{"removed", name}});
                   }});
  router.add(Route{
      "GET", "/api/v1/tokens", kAdmins, {}, [&auth](const RouteContext&) -> Result<ApiResponse> {
        auto tokens = auth.accounts().tokens();
        if (!tokens) {
          return tokens.failure();
        }
        json out = json::array();
        for (const auto& t : *tokens) {
          out.push_back(token_json(t));
        }
        return json_response({{"tokens", out}});
      }});
  router.add(Route{
      "DELETE",
      "/api/v1/tokens/{id}",
      kAdmins,
      {},
      [&auth](const RouteContext& rc) -> Result<ApiResponse> {
        const std::string& id = rc.path.at("id");
        if (id.size() != 12 || id.find_first_not_of("0123456789abcdef") != std::string::npos) {
          return Error::invalid("a token id is 12 hex digits");
        }
        if (Status revoked = revoke_token(auth.accounts(), id, rc.principal->user, auth.now());
            !revoked) {
          return revoked.failure();
        }
        return json_response({{"revoked", id}});
      }});
  router.add(Route{"GET",
                   "/api/v1/audit",
                   kAdmins,
                   {"limit"},
                   [&auth](const RouteContext& rc) -> Result<ApiResponse> {
                     auto limit = rc.query.integer("limit", 1, 1000, 100);
                     if (!limit) {
                       return limit.failure();
                     }
                     auto log = auth.accounts().audit_log(static_cast<std::size_t>(*limit));
                     if (!log) {
                       return log.failure();
                     }
                     json out = json::array();
                     for (const auto& e : *log) {
                       out.push_back({{"ts", format_timestamp_us(e.ts_us)},
                                      {"actor", e.actor},
                                      {"action", e.action},
                                      {"target", e.target},
                                      {"detail", e.detail}});
                     }
                     return json_response({{"entries", out}});
                   }});
}

}  // namespace mitsu::api
