#include "sensor/protocols/http/http_observer.h"

#include <charconv>

#include "sensor/protocols/http/http_session.h"

namespace mitsu::sensor::http {
namespace {

constexpr std::size_t kMaxAwaiting = 128;
constexpr std::size_t kMaxResponseHead = 16 * 1024;

std::string_view header_value(std::string_view head, std::string_view name) {
  for (std::size_t at = head.find('\n'); at != std::string_view::npos;
       at = head.find('\n', at + 1)) {
    std::string_view line = head.substr(at + 1, head.find('\n', at + 1) - at - 1);
    if (line.size() > name.size() && line[name.size()] == ':') {
      bool same = true;
      for (std::size_t i = 0; i < name.size() && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(line[i])) ==
               std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (same) {
        std::string_view v = line.substr(name.size() + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
          v.remove_prefix(1);
        }
        while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) {
          v.remove_suffix(1);
        }
        return v;
      }
    }
  }
  return {};
}

}  // namespace

void HttpObserver::from_client(std::span<const std::byte> bytes, SessionActions& out) {
  if (client_failed_) {
    return;
  }
  requests_.feed(bytes);
  for (;;) {
    RequestParser::Result r = requests_.next();
    if (r.status == RequestParser::Status::kNeedMore) {
      return;
    }
    if (r.status == RequestParser::Status::kError) {
      out.events.push_back({"anomaly",
                            {{"mitsu.anomaly.protocol", "http"},
                             {"mitsu.anomaly.reason", r.error.empty() ? "bad request" : r.error}}});
      client_failed_ = true;
      return;
    }
    const Request& request = r.request;
    out.events.push_back(request_event(request));
    if (exploits_) {
      for (const ExploitMatch& m : exploits_->match(request)) {
        out.events.push_back(exploit_event(m));
        if (!m.command.empty()) {
          out.events.push_back({"command", {{"process.command_line", m.command}}});
        }
      }
    }
    std::optional<PendingLogin> login;
    if (std::string_view auth = request.header("Authorization"); auth.starts_with("Basic ")) {
      auto decoded = base64_decode(auth.substr(6));
      if (decoded && decoded->find(':') != std::string::npos) {
        login = PendingLogin{decoded->substr(0, decoded->find(':')),
                             decoded->substr(decoded->find(':') + 1)};
      }
    }
    if (awaiting_.size() < kMaxAwaiting) {
      awaiting_.push_back(std::move(login));
    }
  }
}

void HttpObserver::answered(int status, SessionActions& out) {
  if (awaiting_.empty()) {
    return;
  }
  if (awaiting_.front()) {
    out.events.push_back(
        {"login.attempt",
         {{"user.name", awaiting_.front()->user},
          {"mitsu.login.password", awaiting_.front()->password},
          {"mitsu.login.method", "basic"},
          {"event.outcome", status == 401 || status == 403 ? "failure" : "success"}}});
  }
  awaiting_.pop_front();
}

void HttpObserver::from_server(std::span<const std::byte> bytes, SessionActions& out) {
  std::string_view in(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  while (!in.empty()) {
    if (body_to_end_) {
      return;
    }
    if (body_left_ > 0) {
      std::size_t skip = std::min(body_left_, in.size());
      body_left_ -= skip;
      in.remove_prefix(skip);
      continue;
    }
    std::size_t room =
        responses_.size() < kMaxResponseHead + 4 ? kMaxResponseHead + 4 - responses_.size() : 0;
    std::string_view piece = in.substr(0, room);
    responses_.append(piece);
    std::size_t used = piece.size();
    std::size_t end = responses_.find("\r\n\r\n");
    std::size_t end_length = 4;
    if (end == std::string::npos) {
      end = responses_.find("\n\n");
      end_length = 2;
    }
    if (end == std::string::npos) {
      if (responses_.size() > kMaxResponseHead) {
        body_to_end_ = true;  // not HTTP as we know it: stop looking for answers
      }
      return;
    }
    std::string_view head(responses_.data(), end);
    int status = 0;
    if (head.size() > 12 && head.starts_with("HTTP/")) {
      std::from_chars(head.data() + 9, head.data() + 12, status);
    }
    answered(status, out);
    std::string_view length = header_value(head, "Content-Length");
    std::size_t body = 0;
    bool has_length =
        !length.empty() &&
        std::from_chars(length.data(), length.data() + length.size(), body).ec == std::errc();
    // Bytes of this read after the head belong to the body or the next response.
    std::size_t head_bytes = end + end_length;
    std::size_t consumed_before = responses_.size() - used;
    std::size_t rest_at = head_bytes > consumed_before ? head_bytes - consumed_before : 0;
    responses_.clear();
    in.remove_prefix(std::min(rest_at, in.size()));
    if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
      continue;
    }
    if (has_length) {
      body_left_ = body;
    } else {
      body_to_end_ = true;  // chunked or until close: later answers are not told apart
    }
  }
}

void HttpObserver::finish(SessionActions& out) {
  (void)out;
}

}  // namespace mitsu::sensor::http
