#include "analysis/sandbox/dns_message.h"

#include <cctype>

#include "core/byte_reader.h"

namespace mitsu::analysis::sandbox {

// A query from the sample: every read goes through the one bounds-checked reader.
std::optional<DnsQuestion> parse_dns_query(std::span<const std::uint8_t> m) {
  ByteReader r(std::as_bytes(m), /*big_endian=*/true);
  auto id = r.u16(0);
  auto flags = r.u8(2);
  auto questions = r.u16(4);
  if (!id || !flags || !questions || !r.contains(0, 12) || (*flags & 0x80) != 0 ||
      *questions == 0) {
    return std::nullopt;  // too short, a response, or no question
  }
  DnsQuestion q;
  q.id = *id;
  std::uint64_t at = 12;
  while (true) {
    auto length = r.u8(at++);
    if (!length) {
      return std::nullopt;
    }
    if (*length == 0) {
      break;
    }
    auto label = r.bytes(at, *length);
    if (*length > 63 || !label || q.name.size() + *length > 253) {
      return std::nullopt;  // compression pointers have no place in a question
    }
    if (!q.name.empty()) {
      q.name += '.';
    }
    for (std::byte b : *label) {
      q.name += static_cast<char>(std::tolower(std::to_integer<unsigned char>(b)));
    }
    at += *length;
  }
  auto type = r.u16(at);
  if (!type || !r.contains(at, 4)) {
    return std::nullopt;
  }
  q.type = *type;
  return q;
}

std::vector<std::uint8_t> build_dns_answer(std::span<const std::uint8_t> query,
                                           const DnsQuestion& question,
                                           std::optional<std::uint32_t> address) {
  std::vector<std::uint8_t> out(12);
  out[0] = static_cast<std::uint8_t>(question.id >> 8);
  out[1] = static_cast<std::uint8_t>(question.id);
  out[2] = 0x81 | (query.size() > 2 ? (query[2] & 0x01) : 0);  // response, recursion desired echo
  out[3] = 0x80;                                               // recursion available, NOERROR
  out[5] = 1;                                                  // one question
  out[7] = address ? 1 : 0;
  std::size_t start = out.size();
  std::size_t label = 0;
  out.push_back(0);
  for (char c : question.name) {
    if (c == '.') {
      out[start + label] = static_cast<std::uint8_t>(out.size() - start - label - 1);
      label = out.size() - start;
      out.push_back(0);
    } else {
      out.push_back(static_cast<std::uint8_t>(c));
    }
  }
  out[start + label] = static_cast<std::uint8_t>(out.size() - start - label - 1);
  if (!question.name.empty()) {
    out.push_back(0);
  }
  out.insert(out.end(), {static_cast<std::uint8_t>(question.type >> 8),
                         static_cast<std::uint8_t>(question.type), 0, 1});
  if (address) {
    out.insert(out.end(), {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4});
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<std::uint8_t>(*address >> shift));
    }
  }
  return out;
}

}  // namespace mitsu::analysis::sandbox
