#pragma once
// The one bounds-checked reader for untrusted bytes (attacker input, captured samples). Every
// read names an absolute offset and either succeeds or returns nullopt: no read can run past the
// buffer, whatever offsets and sizes a hostile file claims, and offset + size cannot overflow.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace mitsu {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> data, bool big_endian = false)
      : data_(data), big_endian_(big_endian) {}
  // Decoders that buffer a stream in a std::string read it in place.
  explicit ByteReader(std::string_view data, bool big_endian = false)
      : ByteReader(std::as_bytes(std::span(data.data(), data.size())), big_endian) {}

  std::size_t size() const { return data_.size(); }
  bool big_endian() const { return big_endian_; }
  void set_big_endian(bool big_endian) { big_endian_ = big_endian; }

  // True when [offset, offset + length) lies inside the buffer.
  bool contains(std::uint64_t offset, std::uint64_t length) const {
    return offset <= data_.size() && length <= data_.size() - offset;
  }

  std::optional<std::uint8_t> u8(std::uint64_t offset) const { return read<std::uint8_t>(offset); }
  std::optional<std::uint16_t> u16(std::uint64_t offset) const {
    return read<std::uint16_t>(offset);
  }
  std::optional<std::uint32_t> u32(std::uint64_t offset) const {
    return read<std::uint32_t>(offset);
  }
  std::optional<std::uint64_t> u64(std::uint64_t offset) const {
    return read<std::uint64_t>(offset);
  }

  std::optional<std::span<const std::byte>> bytes(std::uint64_t offset,
                                                  std::uint64_t length) const {
    if (!contains(offset, length)) {
      return std::nullopt;
    }
    return data_.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(length));
  }

  // The same bytes as characters, for fields a parser keeps as text (names, ids, payloads).
  std::optional<std::string_view> text(std::uint64_t offset, std::uint64_t length) const {
    auto span = bytes(offset, length);
    if (!span) {
      return std::nullopt;
    }
    return std::string_view(reinterpret_cast<const char*>(span->data()), span->size());
  }

  // A reader over [offset, offset + length) in the same byte order, whose offsets count from
  // there: for a structure whose own length field bounds it inside a larger message.
  std::optional<ByteReader> subreader(std::uint64_t offset, std::uint64_t length) const {
    auto span = bytes(offset, length);
    if (!span) {
      return std::nullopt;
    }
    return ByteReader(*span, big_endian_);
  }

  // A NUL-terminated string starting at offset, at most max_length bytes long; nullopt when no
  // NUL comes within the limit or the buffer.
  std::optional<std::string_view> c_string(std::uint64_t offset, std::size_t max_length) const {
    if (offset >= data_.size()) {
      return std::nullopt;
    }
    std::size_t start = static_cast<std::size_t>(offset);
    // Compared before adding, so a huge max_length cannot wrap the limit around.
    std::size_t limit = data_.size() - start > max_length ? start + max_length + 1 : data_.size();
    for (std::size_t i = start; i < limit; ++i) {
      if (data_[i] == std::byte{0}) {
        return std::string_view(reinterpret_cast<const char*>(data_.data()) + start, i - start);
      }
    }
    return std::nullopt;
  }

 private:
  template <typename T>
  std::optional<T> read(std::uint64_t offset) const {
    if (!contains(offset, sizeof(T))) {
      return std::nullopt;
    }
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      auto byte = static_cast<T>(data_[static_cast<std::size_t>(offset) + i]);
      std::size_t shift = big_endian_ ? 8 * (sizeof(T) - 1 - i) : 8 * i;
      value = static_cast<T>(value | static_cast<T>(byte << shift));
    }
    return value;
  }

  std::span<const std::byte> data_;
  bool big_endian_;
};

}  // namespace mitsu
