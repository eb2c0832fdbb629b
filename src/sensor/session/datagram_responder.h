#pragma once
// A UDP protocol of one datagram, one answer (SSDP's M-SEARCH): the responder says what to answer
// and how to record the datagram; the runtime sends the answers within its reflection guard
// (bytes back bounded by bytes in for unproven sources, replies and events rate-limited), so a
// responder never needs to know about spoofed sources beyond keeping `compact` answers small.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "sensor/session/session.h"

namespace mitsu::sensor {

// What the runtime sent back of a responder's answers.
struct SentReplies {
  std::size_t count = 0;
  std::size_t bytes = 0;
  std::uint64_t suppressed = 0;  // datagrams from the source not recorded since the last one
};

class DatagramResponder {
 public:
  virtual ~DatagramResponder() = default;
  // The answers to `datagram`, one datagram each, in the order to send them. `local_address`
  // gives the sensor's address as the sender reaches it (it may cost a socket, so only on
  // demand). `compact`: the sender has not proven its address, so answers should be small.
  virtual std::vector<std::string> answer(std::span<const std::byte> datagram,
                                          const std::function<std::string()>& local_address,
                                          bool compact) const = 0;
  // The event recording `datagram` and what went back (the runtime adds session and time).
  virtual SessionEvent record(std::span<const std::byte> datagram,
                              const SentReplies& sent) const = 0;
};

}  // namespace mitsu::sensor
