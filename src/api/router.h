#pragma once
// The API's route table: each route names its method, path pattern, the roles that may call it
// and the query parameters it reads. The router refuses before any handler runs what a route
// does not accept — no or bad credentials (401), a role that may not (403), a browser request
// that changes state without its CSRF token (403), unknown, repeated or oversized parameters
// (400) — and turns handler errors into JSON errors by category. The OpenAPI document is checked
// against this table by a test.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "api/auth/authenticator.h"
#include "api/http/message.h"
#include "api/routes/query.h"
#include "core/result.h"

namespace mitsu::api {

struct RouteContext {
  const ApiRequest& request;
  const Principal* principal;               // null on a public route
  std::map<std::string, std::string> path;  // the pattern's {name} segments
  Query query;
};

using Handler = std::function<Result<ApiResponse>(const RouteContext&)>;

struct Route {
  std::string method;
  std::string pattern;              // "/api/v1/samples/{sha256}"
  std::vector<Role> roles;          // empty: public (no credentials needed)
  std::vector<std::string> params;  // query parameters it reads
  Handler handler;
};

inline const std::vector<Role> kAllRoles{Role::kSensor, Role::kAnalyst, Role::kAdmin};
inline const std::vector<Role> kReaders{Role::kAnalyst, Role::kAdmin};
inline const std::vector<Role> kAdmins{Role::kAdmin};

class Router {
 public:
  explicit Router(Authenticator& auth) : auth_(auth) {}
  void add(Route route) { routes_.push_back(std::move(route)); }
  ApiResponse handle(const ApiRequest& request) const;
  const std::vector<Route>& routes() const { return routes_; }
  // Answers given with status class `c` (1 for 1xx … 5 for 5xx).
  std::uint64_t answered(int c) const { return answered_[c % 6].load(); }

 private:
  ApiResponse route(const ApiRequest& request) const;

  Authenticator& auth_;
  std::vector<Route> routes_;
  mutable std::array<std::atomic<std::uint64_t>, 6> answered_{};
};

ApiResponse json_response(const nlohmann::json& doc, int status = 200);
ApiResponse error_response(int status, std::string_view message);
int http_status(ErrorKind kind);
// The handler's error as a response: its category picks the status.
ApiResponse error_response(const Error& error);

}  // namespace mitsu::api
