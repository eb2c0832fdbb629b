#include "sensor/protocols/http/http_request.h"

#include <algorithm>
#include <charconv>

namespace mitsu::sensor::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Where the header block ends (just past its blank line), accepting CRLF or bare LF.
std::size_t header_end(std::string_view text) {
  for (std::size_t pos = text.find('\n'); pos != std::string_view::npos;
       pos = text.find('\n', pos + 1)) {
    std::size_t next = pos + 1;
    if (next < text.size() && text[next] == '\n') {
      return next + 1;
    }
    if (next + 1 < text.size() && text[next] == '\r' && text[next + 1] == '\n') {
      return next + 2;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) {
      return v;
    }
  }
  return {};
}

bool Request::keep_alive() const {
  std::string_view connection = header("Connection");
  if (iequals(connection, "close")) {
    return false;
  }
  return version == "HTTP/1.1" || iequals(connection, "keep-alive");
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void RequestParser::feed(std::span<const std::byte> bytes) {
  if (!failed_) {
    buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
}

RequestParser::Result RequestParser::fail(int status, std::string why) {
  failed_ = true;
  buffer_.clear();
  Result r;
  r.status = Status::kError;
  r.error_status = status;
  r.error = std::move(why);
  return r;
}

// A chunked body (RFC 9112 section 7.1) from `end` on: kRequest once the last chunk and the
// trailers are in (`consumed` then says how far the request reaches), kNeedMore or an error.
RequestParser::Result RequestParser::chunked_body(std::string_view text, std::size_t end,
                                                  Request& req, std::size_t& consumed) {
  Result done;
  done.status = Status::kRequest;
  std::size_t pos = end;
  for (;;) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      return text.size() - end > kMaxBodyBytes + 64 ? fail(413, "chunked body too large")
                                                    : Result{};
    }
    std::string_view size_line = trim(text.substr(pos, nl - pos));
    size_line = size_line.substr(0, size_line.find(';'));  // chunk extensions
    std::size_t size = 0;
    auto [ptr, ec] =
        std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
    if (ec != std::errc() || ptr != size_line.data() + size_line.size()) {
      return fail(400, "malformed chunk size");
    }
    if (req.body.size() + size > kMaxBodyBytes) {
      return fail(413, "chunked body larger than 1 MiB");
    }
    pos = nl + 1;
    if (size == 0) {
      // Optional trailer lines, then a blank line.
      std::string_view after = text.substr(pos);
      if (after.starts_with("\r\n") || after.starts_with("\n")) {
        consumed = pos + (after[0] == '\r' ? 2 : 1);
        return done;
      }
      std::size_t trailers = header_end(after);
      if (trailers == std::string_view::npos) {
        return after.size() > kMaxHeaderBytes ? fail(431, "chunk trailers too large") : Result{};
      }
      consumed = pos + trailers;
      return done;
    }
    if (text.size() < pos + size) {
      return {};
    }
    req.body.append(text.substr(pos, size));
    pos += size;
    // The chunk's own line end.
    if (pos < text.size() && text[pos] == '\r') {
      ++pos;
    }
    if (pos < text.size() && text[pos] == '\n') {
      ++pos;
    } else if (pos >= text.size()) {
      return {};
    }
  }
}

RequestParser::Result RequestParser::next() {
  if (failed_) {
    return fail(400, "connection already failed");
  }
  // Blank lines between pipelined requests are tolerated (RFC 9112 section 2.2).
  std::size_t skip = 0;
  while (skip < buffer_.size() && (buffer_[skip] == '\r' || buffer_[skip] == '\n')) {
    ++skip;
  }
  buffer_.erase(0, skip);
  if (buffer_.empty()) {
    return {};
  }
  std::string_view text = buffer_;
  std::size_t end = header_end(text);
  if (end == std::string_view::npos) {
    if (text.size() > kMaxHeaderBytes) {
      return fail(431, "request header block larger than 16 KiB");
    }
    return {};
  }
  if (end > kMaxHeaderBytes) {
    return fail(431, "request header block larger than 16 KiB");
  }
  Request req;
  std::string_view head = text.substr(0, end);
  std::size_t line_end = head.find('\n');
  std::string_view line = trim(head.substr(0, line_end));
  // METHOD SP TARGET [SP VERSION], with any run of spaces between.
  std::vector<std::string_view> parts;
  for (std::size_t pos = 0; pos < line.size();) {
    std::size_t space = line.find(' ', pos);
    if (space == std::string_view::npos) {
      space = line.size();
    }
    if (space > pos) {
      parts.push_back(line.substr(pos, space - pos));
    }
    pos = space + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) {
    return fail(400, "malformed request line");
  }
  for (char c : parts[0]) {
    if (!std::isalpha(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return fail(400, "malformed method");
    }
  }
  req.method = std::string(parts[0]);
  req.target = std::string(parts[1]);
  if (parts.size() == 3) {
    if (!parts[2].starts_with("HTTP/")) {
      return fail(400, "malformed version");
    }
    req.version = std::string(parts[2]);
  }
  std::size_t question = req.target.find('?');
  req.path = req.target.substr(0, question);
  if (question != std::string::npos) {
    req.query = req.target.substr(question + 1);
  }
  // Headers; lines without a colon are skipped, as lenient servers do.
  std::string_view rest = head.substr(line_end + 1);
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view h = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    h = trim(h);
    if (h.empty()) {
      break;
    }
    std::size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      continue;
    }
    if (req.headers.size() >= kMaxHeaders) {
      return fail(431, "more than 100 headers");
    }
    req.headers.emplace_back(std::string(trim(h.substr(0, colon))),
                             std::string(trim(h.substr(colon + 1))));
  }
  // Body: chunked, or Content-Length, or none.
  std::size_t consumed = end;
  std::string_view transfer = req.header("Transfer-Encoding");
  if (!transfer.empty() && transfer.find("chunked") != std::string_view::npos) {
    Result body = chunked_body(text, end, req, consumed);
    if (body.status != Status::kRequest) {
      return body;
    }
  } else if (std::string_view length = req.header("Content-Length"); !length.empty()) {
    std::size_t size = 0;
    auto [ptr, ec] = std::from_chars(length.data(), length.data() + length.size(), size);
    if (ec != std::errc() || ptr != length.data() + length.size()) {
      return fail(400, "malformed Content-Length");
    }
    if (size > kMaxBodyBytes) {
      return fail(413, "body larger than 1 MiB");
    }
    if (text.size() < end + size) {
      return {};
    }
    req.body = std::string(text.substr(end, size));
    consumed = end + size;
  }
  buffer_.erase(0, consumed);
  Result r;
  r.status = Status::kRequest;
  r.request = std::move(req);
  return r;
}

}  // namespace mitsu::sensor::http
