#pragma once
// A UDP protocol in which a request on the well-known port starts a transfer on a port of its
// own (TFTP's transfer identifiers): the runtime opens that port, connected to the client, feeds
// the session each datagram and calls retransmit() when the client goes quiet.

#include <chrono>

#include "sensor/session/session.h"

namespace mitsu::sensor {

class TransferSession : public Session {
 public:
  // The last packet again, after timeout_s() of silence; may close the session.
  virtual SessionActions retransmit() = 0;
  // The transfer is over (complete, refused or abandoned).
  virtual bool done() const = 0;
  // Seconds of silence before retransmit().
  virtual int timeout_s() const = 0;
  // How long the first answer waits after the request (a forked daemon's start-up).
  virtual std::chrono::milliseconds first_reply_delay() const { return {}; }
};

}  // namespace mitsu::sensor
