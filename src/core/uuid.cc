#include "core/uuid.h"

#include <chrono>

namespace mitsu {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::uint32_t kCounterMax = 0xFFF;

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

}  // namespace

std::string Uuid::to_string() const {
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xF]);
  }
  return out;
}

std::optional<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36) {
    return std::nullopt;
  }
  Uuid id;
  std::size_t out = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') {
        return std::nullopt;
      }
      ++i;
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    id.bytes[out++] = static_cast<std::uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return id;
}

std::int64_t Uuid::unix_ms() const {
  std::int64_t ms = 0;
  for (int i = 0; i < 6; ++i) {
    ms = ms << 8 | bytes[i];
  }
  return ms;
}

Uuid7Generator::Uuid7Generator() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device()};
  random_.seed(seed);
}

Uuid Uuid7Generator::next() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return next_at(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

Uuid Uuid7Generator::next_at(std::int64_t unix_ms) {
  std::lock_guard lock(mutex_);
  if (unix_ms > last_ms_) {
    last_ms_ = unix_ms;
    // Start low in the counter space so a burst in one millisecond rarely overflows.
    counter_ = static_cast<std::uint32_t>(random_() & 0x1FF);
  } else if (++counter_ > kCounterMax) {
    // Counter exhausted (or the clock stepped back): borrow the next millisecond, stay monotonic.
    ++last_ms_;
    counter_ = 0;
  }
  Uuid id;
  std::uint64_t ms = static_cast<std::uint64_t>(last_ms_);
  for (int i = 5; i >= 0; --i) {
    id.bytes[i] = static_cast<std::uint8_t>(ms & 0xFF);
    ms >>= 8;
  }
  id.bytes[6] = static_cast<std::uint8_t>(0x70 | (counter_ >> 8));
  id.bytes[7] = static_cast<std::uint8_t>(counter_ & 0xFF);
  std::uint64_t rand_b = random_();
  for (int i = 8; i < 16; ++i) {
    id.bytes[i] = static_cast<std::uint8_t>(rand_b >> (8 * (15 - i)));
  }
  id.bytes[8] = static_cast<std::uint8_t>(0x80 | (id.bytes[8] & 0x3F));
  return id;
}

}  // namespace mitsu
