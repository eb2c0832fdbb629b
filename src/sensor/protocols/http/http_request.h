#pragma once
// HTTP/1.x requests as scanners and exploits send them, parsed leniently: bare LF line ends,
// missing versions (HTTP/0.9 style), header lines without a colon, pipelined requests, chunked
// bodies. Limits bound what one connection can make us hold; anything past them is an error the
// session answers and closes on, never a crash. Pure code over bytes, fuzzed.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mitsu::sensor::http {

inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;  // request line and headers
inline constexpr std::size_t kMaxHeaders = 100;
inline constexpr std::size_t kMaxBodyBytes = 1 << 20;  // larger bodies end the connection

struct Request {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;
  std::string query;
  std::string version;  // "HTTP/1.1", "HTTP/1.0" or "" (HTTP/0.9 style)
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;                                          // de-chunked

  // The first header of that name, case-insensitively ("" when absent).
  std::string_view header(std::string_view name) const;
  bool keep_alive() const;
};

class RequestParser {
 public:
  enum class Status { kNeedMore, kRequest, kError };
  struct Result {
    Status status = Status::kNeedMore;
    Request request;
    int error_status = 0;  // the HTTP status to answer with: 400, 413, 431, 501
    std::string error;
  };

  void feed(std::span<const std::byte> bytes);
  // The next complete request in what was fed, or kNeedMore. After kError the connection is
  // done: the parser gives kError from then on.
  Result next();
  // Bytes of a request that has begun but not ended (slowloris holds one open for ever).
  bool partial() const { return !buffer_.empty(); }

 private:
  Result fail(int status, std::string why);
  Result chunked_body(std::string_view text, std::size_t end, Request& req, std::size_t& consumed);
  std::string buffer_;
  bool failed_ = false;
};

// "%41" → "A", and with `plus_is_space` "+" → " " (form bodies and queries).
std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace mitsu::sensor::http
