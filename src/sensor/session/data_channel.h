#pragma once
// A session that needs data connections beside its own (FTP's PASV/EPSV and PORT/EPRT): it asks,
// the runtime opens or makes them, carries one transfer each and tells the session what came
// through. Kept apart from the session interface so the runtime serves any such protocol
// without knowing which one it is.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sensor/session/session.h"

namespace mitsu::sensor {

struct DataEndpoint {
  std::string address;  // dotted IPv4 or IPv6 text
  int port = 0;
};

struct DataTransfer {
  bool upload = false;  // from the client (STOR) or to it (LIST, RETR)
  std::string content;  // to send, when not an upload
  std::string path;     // where an upload goes (absolute)
  bool append = false;
};

class DataChannelSession {
 public:
  virtual ~DataChannelSession() = default;
  // A passive port was asked for: the runtime opens a listener and reports its port (0: it
  // could not).
  virtual bool passive_requested() const = 0;
  virtual SessionActions passive_opened(std::string_view address, int port) = 0;
  // A transfer is ready for its data connection. Taken once.
  virtual std::optional<DataTransfer> take_transfer() = 0;
  // Where to connect for the transfer in active mode; nullopt in passive mode.
  virtual const std::optional<DataEndpoint>& active_endpoint() const = 0;
  // The data connection ended; `received` holds an upload's bytes.
  virtual SessionActions transfer_done(std::string received, bool ok) = 0;
  // Uploads past this are cut off.
  virtual std::size_t max_upload_bytes() const = 0;
};

}  // namespace mitsu::sensor
