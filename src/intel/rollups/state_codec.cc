#include "intel/rollups/state_codec.h"

#include <cstdint>

#include "core/byte_reader.h"

namespace mitsu::intel {
namespace {

// Version bytes: a value of another layout is rejected, never misread.
constexpr char kSessionV1 = 'S';
constexpr char kSampleV1 = 'F';

class Writer {
 public:
  explicit Writer(char version) { out_.push_back(version); }
  void integer(std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int b = 0; b < 8; ++b) {
      out_.push_back(static_cast<char>((u >> (8 * b)) & 0xff));
    }
  }
  void text(std::string_view s) {
    integer(static_cast<std::int64_t>(s.size()));
    out_.append(s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads the fields in order; past the first that does not fit, every read gives 0 or "" and the
// value is rejected as a whole.
class Reader {
 public:
  Reader(std::string_view in, char version) : in_(in) {
    ok_ = in_.u8(0) == static_cast<std::uint8_t>(version);
    at_ = 1;
  }
  std::int64_t integer() {
    auto u = ok_ ? in_.u64(at_) : std::nullopt;
    ok_ = u.has_value();
    at_ += ok_ ? 8 : 0;
    return static_cast<std::int64_t>(u.value_or(0));
  }
  std::string text() {
    std::int64_t n = integer();
    auto s = ok_ && n >= 0 ? in_.text(at_, static_cast<std::uint64_t>(n)) : std::nullopt;
    ok_ = s.has_value();
    at_ += ok_ ? s->size() : 0;
    return std::string(s.value_or(""));
  }
  bool done() const { return ok_ && at_ == in_.size(); }
  bool ok() const { return ok_; }

 private:
  ByteReader in_;  // little-endian, as Writer writes
  std::uint64_t at_ = 0;
  bool ok_ = false;
};

}  // namespace

std::string encode_state(const SessionFold& f) {
  Writer w(kSessionV1);
  w.integer(f.first_us);
  w.text(f.first_event);
  w.integer(f.dims.day);
  w.text(f.dims.country);
  w.integer(f.dims.asn);
  w.text(f.dims.protocol);
  w.integer(f.dims.dst_port);
  w.text(f.dims.device_type);
  w.text(f.dims.site);
  w.integer(f.events);
  w.integer((f.payload ? 1 : 0) | (f.exploit ? 2 : 0) | (f.login_tried ? 4 : 0) |
            (f.targeted ? 8 : 0));
  w.integer(f.first_success_us);
  w.integer(f.last_command_us);
  w.integer(static_cast<std::int64_t>(f.command_times.size()));
  for (std::int64_t t : f.command_times) {
    w.integer(t);
  }
  return w.take();
}

std::optional<SessionFold> decode_session_state(std::string_view bytes) {
  Reader r(bytes, kSessionV1);
  SessionFold f;
  f.first_us = r.integer();
  f.first_event = r.text();
  f.dims.day = r.integer();
  f.dims.country = r.text();
  f.dims.asn = static_cast<std::uint32_t>(r.integer());
  f.dims.protocol = r.text();
  f.dims.dst_port = static_cast<int>(r.integer());
  f.dims.device_type = r.text();
  f.dims.site = r.text();
  f.events = r.integer();
  std::int64_t flags = r.integer();
  f.payload = flags & 1;
  f.exploit = flags & 2;
  f.login_tried = flags & 4;
  f.targeted = flags & 8;
  f.first_success_us = r.integer();
  f.last_command_us = r.integer();
  std::int64_t n = r.integer();
  if (!r.ok() || n < 0 || static_cast<std::uint64_t>(n) > bytes.size() / 8) {
    return std::nullopt;
  }
  f.command_times.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    f.command_times.push_back(r.integer());
  }
  if (!r.done()) {
    return std::nullopt;
  }
  return f;
}

std::string encode_state(const SampleFacts& s) {
  Writer w(kSampleV1);
  w.integer(s.day);
  w.text(s.family);
  w.text(s.arch);
  w.integer(s.known);
  w.text(s.target);
  w.integer(s.targeted);
  w.integer(static_cast<std::int64_t>(s.domains.size()));
  for (const auto& [source, domain] : s.domains) {
    w.text(source);
    w.text(domain);
  }
  return w.take();
}

std::optional<SampleFacts> decode_sample_state(std::string_view bytes) {
  Reader r(bytes, kSampleV1);
  SampleFacts s;
  s.day = r.integer();
  s.family = r.text();
  s.arch = r.text();
  s.known = r.integer();
  s.target = r.text();
  s.targeted = r.integer();
  std::int64_t n = r.integer();
  if (!r.ok() || n < 0 || static_cast<std::uint64_t>(n) > bytes.size() / 16) {
    return std::nullopt;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    std::string source = r.text();
    std::string domain = r.text();
    s.domains.emplace_back(std::move(source), std::move(domain));
  }
  if (!r.done()) {
    return std::nullopt;
  }
  return s;
}

}  // namespace mitsu::intel
