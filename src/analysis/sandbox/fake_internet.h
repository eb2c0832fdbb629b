#pragma once
// The only "internet" a sample gets: every packet it sends leaves its namespace through the
// sandbox's TUN device and arrives here. Every DNS query to any resolver is answered with a
// sinkhole address of its own per name; every TCP connection to any address:port is accepted and
// its first bytes kept; UDP is recorded. Nothing is forwarded anywhere.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/sandbox/net_packet.h"

namespace mitsu::analysis::sandbox {

struct DnsObservation {
  std::string name;
  std::uint16_t type = 0;
  std::string resolver;  // the address the query was sent to
  std::string answer;    // the sinkhole given, empty for non-A queries
};

struct Endpoint {
  std::string protocol;  // tcp or udp
  std::string address;
  int port = 0;
  std::string domain;  // when the address is a sinkhole handed out for a name
  std::int64_t attempts = 0;
  std::string first_bytes;            // up to kFirstBytes of the first connection's data
  std::vector<std::string> requests;  // HTTP requests over any of its connections ("GET /x host")
};

class FakeInternet {
 public:
  static constexpr std::uint32_t kSampleAddress = 0x0a420002;  // 10.66.0.2, the sample's side
  static constexpr std::size_t kFirstBytes = 512;
  static constexpr std::size_t kMaxEndpoints = 10000;  // then further ones are only counted

  // Answers one packet from the sample; returns the packets to write back.
  std::vector<Bytes> on_packet(std::span<const std::uint8_t> packet);

  const std::vector<DnsObservation>& dns() const { return dns_; }
  // Every address:port contacted, in first-contact order.
  std::vector<Endpoint> endpoints() const;
  std::uint64_t packets() const { return packets_; }
  std::uint64_t dropped_endpoints() const { return dropped_; }

 private:
  Endpoint* endpoint(const std::string& protocol, std::uint32_t address, int port);
  std::string sinkhole_for(const std::string& name);

  std::vector<DnsObservation> dns_;
  std::map<std::string, std::uint32_t> sinkholes_;  // name -> address
  std::map<std::uint32_t, std::string> names_;      // address -> name
  std::vector<Endpoint> endpoints_;
  std::map<std::tuple<std::string, std::uint32_t, int>, std::size_t> endpoint_index_;
  struct Connection {
    std::uint32_t next_seq = 0;  // ours
    std::uint32_t expected = 0;  // theirs
    std::size_t endpoint = 0;
    bool first = false;     // the endpoint's first connection: its bytes are kept
    bool answered = false;  // an HTTP request got its 404 (and our FIN)
    std::string request;    // the connection's first bytes, to recognise an HTTP request
  };
  std::map<std::tuple<std::uint32_t, std::uint16_t, std::uint16_t>, Connection> connections_;
  std::uint64_t packets_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint32_t next_isn_ = 0x10000000;
};

}  // namespace mitsu::analysis::sandbox
