// Fuzzes the lenient HTTP/1.x request parser, feeding the input in pieces the input chooses.

#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/protocols/http/http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mitsu::sensor::http;
  RequestParser parser;
  std::size_t at = 0;
  while (at < size) {
    std::size_t piece = std::min<std::size_t>(1 + data[at] % 128, size - at);
    parser.feed(std::as_bytes(std::span(data + at, piece)));
    at += piece;
    for (;;) {
      RequestParser::Result r = parser.next();
      if (r.status == RequestParser::Status::kNeedMore) {
        break;
      }
      if (r.status == RequestParser::Status::kError) {
        if (r.error_status < 400) {
          __builtin_trap();
        }
        return 0;
      }
      if (r.request.body.size() > kMaxBodyBytes || r.request.headers.size() > kMaxHeaders ||
          r.request.method.empty()) {
        __builtin_trap();
      }
      (void)percent_decode(r.request.target, true);
    }
  }
  return 0;
}
