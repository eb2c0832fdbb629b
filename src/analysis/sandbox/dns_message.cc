#include "analysis/sandbox/dns_message.h"

#include <cctype>

namespace mitsu::analysis::sandbox {

std::optional<DnsQuestion> parse_dns_query(std::span<const std::uint8_t> m) {
  if (m.size() < 12 || (m[2] & 0x80) != 0) {
    return std::nullopt;  // too short, or a response
  }
  std::size_t questions = static_cast<std::size_t>(m[4] << 8 | m[5]);
  if (questions == 0) {
    return std::nullopt;
  }
  DnsQuestion q;
  q.id = static_cast<std::uint16_t>(m[0] << 8 | m[1]);
  std::size_t at = 12;
  while (true) {
    if (at >= m.size()) {
      return std::nullopt;
    }
    std::size_t length = m[at++];
    if (length == 0) {
      break;
    }
    if (length > 63 || at + length > m.size() || q.name.size() + length > 253) {
      return std::nullopt;  // compression pointers have no place in a question
    }
    if (!q.name.empty()) {
      q.name += '.';
    }
    for (std::size_t i = 0; i < length; ++i) {
      q.name += static_cast<char>(std::tolower(m[at + i]));
    }
    at += length;
  }
  if (at + 4 > m.size()) {
    return std::nullopt;
  }
  q.type = static_cast<std::uint16_t>(m[at] << 8 | m[at + 1]);
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
