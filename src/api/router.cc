#include "api/router.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/safe_text.h"

namespace mitsu::api {
namespace {

constexpr std::size_t kMaxParams = 32;

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t slash = std::min(path.find('/', start), path.size());
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::optional<std::map<std::string, std::string>> match(std::string_view pattern,
                                                        std::string_view path) {
  auto want = segments(pattern);
  auto got = segments(path);
  if (want.size() != got.size()) {
    return std::nullopt;
  }
  std::map<std::string, std::string> params;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      if (got[i].empty()) {  // the handler checks the value, so a bad one gets a 400
        return std::nullopt;
      }
      params.emplace(want[i].substr(1, want[i].size() - 2), got[i]);
    } else if (want[i] != got[i]) {
      return std::nullopt;
    }
  }
  return params;
}

bool changes_state(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

Status check_params(const Route& route, const ApiRequest& request) {
  if (request.query.size() > kMaxParams) {
    return Error::invalid(fmt::format("at most {} query parameters", kMaxParams));
  }
  std::set<std::string_view> seen;
  for (const auto& [key, value] : request.query) {
    if (std::find(route.params.begin(), route.params.end(), key) == route.params.end()) {
      std::string shown = key.size() <= 64 ? terminal_safe(key) : "(a long name)";
      return Error::invalid(
          route.params.empty()
              ? fmt::format("unknown parameter \"{}\" (this endpoint takes none)", shown)
              : fmt::format("unknown parameter \"{}\" (known: {})", shown,
                            fmt::join(route.params, ", ")));
    }
    if (!seen.insert(key).second) {
      return Error::invalid(fmt::format("parameter \"{}\" is given twice", key));
    }
    if (value.size() > kMaxParamBytes) {
      return Error::invalid(
          fmt::format("parameter \"{}\" is longer than {} bytes", key, kMaxParamBytes));
    }
  }
  return Status::success();
}

}  // namespace

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return 400;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

ApiResponse json_response(const nlohmann::json& doc, int status) {
  return ApiResponse{status, "application/json", dump_json(doc), {}};
}

ApiResponse error_response(int status, std::string_view message) {
  return json_response({{"error", {{"status", status}, {"message", message}}}}, status);
}

ApiResponse error_response(const Error& error) {
  int status = http_status(error.kind);
  if (status == 500) {
    // Internal details go to the log, not to the caller.
    spdlog::error("api: {}", error.message);
    return error_response(500, "internal error (see the server log)");
  }
  return error_response(status, error.message);
}

ApiResponse Router::handle(const ApiRequest& request) const {
  ApiResponse response = route(request);
  ++answered_[std::clamp(response.status / 100, 1, 5)];
  return response;
}

ApiResponse Router::route(const ApiRequest& request) const {
  const Route* route = nullptr;
  std::map<std::string, std::string> path;
  std::vector<std::string_view> allowed;
  for (const Route& candidate : routes_) {
    if (auto params = match(candidate.pattern, request.path)) {
      if (candidate.method == request.method) {
        route = &candidate;
        path = std::move(*params);
        break;
      }
      allowed.push_back(candidate.method);
    }
  }
  if (route == nullptr) {
    if (!allowed.empty()) {
      ApiResponse r = error_response(405, fmt::format("use {}", fmt::join(allowed, " or ")));
      r.headers.emplace_back("Allow", fmt::format("{}", fmt::join(allowed, ", ")));
      return r;
    }
    return error_response(404, "no such endpoint");
  }
  std::optional<Principal> principal;
  if (!route->roles.empty()) {
    auto who = auth_.authenticate(request);
    if (!who && who.error_kind() != ErrorKind::kInvalidInput) {
      return error_response(who.failure());  // the store failed, not the caller
    }
    if (!who || !who->has_value()) {
      ApiResponse r = error_response(401, !who ? who.error() : std::string("credentials required"));
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"mitsu\"");
      return r;
    }
    principal = std::move(**who);
    if (std::find(route->roles.begin(), route->roles.end(), principal->role) ==
        route->roles.end()) {
      return error_response(403,
                            fmt::format("the {} role may not do this", role_name(principal->role)));
    }
    if (changes_state(request.method) && !Authenticator::csrf_ok(*principal, request)) {
      return error_response(403, "the X-CSRF-Token header is missing or wrong");
    }
  }
  if (!request.body.empty() || request.method == "POST") {
    const std::string* type = request.header("content-type");
    if (!request.body.empty() &&
        (type == nullptr || type->substr(0, type->find(';')) != "application/json")) {
      // A cross-site form cannot send this type without a CORS preflight, which we never grant.
      return error_response(415, "the body must be sent as Content-Type: application/json");
    }
    if (const std::string* site = request.header("sec-fetch-site");
        site != nullptr && *site != "same-origin" && *site != "none") {
      return error_response(403, "cross-site requests that change state are refused");
    }
  }
  if (Status ok = check_params(*route, request); !ok) {
    return error_response(ok.failure());
  }
  RouteContext context{request, principal ? &*principal : nullptr, std::move(path),
                       Query(request.query)};
  try {
    auto response = route->handler(context);
    return response ? std::move(*response) : error_response(response.failure());
  } catch (const nlohmann::json::exception& e) {
    return error_response(400, fmt::format("the request body is not what this endpoint takes "
                                           "({})",
                                           e.what()));
  } catch (const std::exception& e) {  // e.g. out of memory: this request fails, not the server
    spdlog::error("api: {} {}: {}", request.method, terminal_safe(request.path), e.what());
    return error_response(500, "internal error (see the server log)");
  }
}

}  // namespace mitsu::api
