#pragma once
// The PROXY protocol header (HAProxy, versions 1 and 2) a load balancer puts before a client's
// bytes so the sensor records the attacker's address rather than the balancer's. Only read on
// listeners that enable it and only from configured upstream addresses: from anyone else these
// bytes are an attacker's, and taken as data.

#include <cstdint>
#include <span>
#include <string>

namespace mitsu::sensor::proxy {

inline constexpr std::size_t kMaxHeaderBytes = 16 + 65535;  // v2: 16 fixed + 16-bit length
inline constexpr std::size_t kMaxV1Bytes = 107;

struct Header {
  enum class Status { kNeedMore, kInvalid, kComplete };
  Status status = Status::kNeedMore;
  std::size_t consumed = 0;  // header bytes, when complete
  int version = 0;
  bool local = false;  // v2 LOCAL / v1 UNKNOWN: the balancer's own connection, keep its address
  std::string source_ip;
  int source_port = 0;
  std::string destination_ip;
  int destination_port = 0;
  std::string error;  // why it is invalid
};

Header parse(std::span<const std::byte> bytes);

}  // namespace mitsu::sensor::proxy
