#pragma once
// A TCP protocol whose library owns the stream (SSH on libssh: encryption, packets, channels):
// the runtime hands it a duplicate of the socket, calls step() whenever the socket is readable
// and carries out the actions it returns, so such a protocol still costs no thread and the
// runtime still owns accept, caps, deadlines and events.

#include <memory>
#include <string>
#include <string_view>

#include "sensor/session/session.h"

namespace mitsu::sensor {

struct SessionContext;

class OwnedStreamConnection {
 public:
  virtual ~OwnedStreamConnection() = default;
  // Lets the library process what arrived; returns what it led to.
  virtual SessionActions step() = 0;
  // The library ended the connection; end_reason() says why (a close-reason token).
  virtual bool finished() const = 0;
  virtual const std::string& end_reason() const = 0;
  // The connection is going away: last captures.
  virtual SessionActions finish() = 0;
  // A download asked for earlier has its bytes.
  virtual void downloaded(const DownloadRequest& request, std::string_view content) = 0;
};

// One listener's side of the library (SSH: its host keys and the persona's banner).
class OwnedStreamEndpoint {
 public:
  virtual ~OwnedStreamEndpoint() = default;
  // Takes ownership of `fd` (a duplicate of the runtime's socket; the runtime keeps its own for
  // readiness and closes it after the connection is destroyed).
  virtual std::unique_ptr<OwnedStreamConnection> connect(int fd,
                                                         const SessionContext& context) const = 0;
};

}  // namespace mitsu::sensor
