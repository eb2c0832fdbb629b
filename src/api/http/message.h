#pragma once
// An API request and response as plain values: the server (api/server) turns Beast messages into
// these and back, so the router, authentication and every route are tested without a socket.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mitsu::api {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query string
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // names lower-case
  std::string body;
  std::string peer;  // client address, for rate limits and the audit log
  bool secure = true;

  const std::string* header(std::string_view name) const {
    auto it = headers.find(std::string(name));
    return it == headers.end() ? nullptr : &it->second;
  }
};

// A body that keeps coming (the live stream): the server sends the headers, then whatever next()
// appends, polling it, until it returns false or the client goes away.
class StreamBody {
 public:
  virtual ~StreamBody() = default;
  virtual bool next(std::string& out) = 0;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<StreamBody> stream;  // set: `body` is ignored
};

// Splits a request target ("/a%20b?x=1&y") into a decoded path and query pairs. nullopt when
// the percent-encoding is malformed, decodes to a NUL byte, or encodes a '/' in the path.
struct ParsedTarget {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
};
std::optional<ParsedTarget> parse_target(std::string_view target);

// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string> cookie_value(const std::string& header, std::string_view name);

}  // namespace mitsu::api
