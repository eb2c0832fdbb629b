#include "sensor/session/session.h"

namespace mitsu::sensor {

void SessionActions::merge(SessionActions&& other) {
  send += other.send;
  then_send += other.then_send;
  for (auto& e : other.events) {
    events.push_back(std::move(e));
  }
  for (auto& d : other.downloads) {
    downloads.push_back(std::move(d));
  }
  for (auto& c : other.captures) {
    captures.push_back(std::move(c));
  }
  if (other.close && !close) {
    close = true;
    close_reason = std::move(other.close_reason);
  }
}

}  // namespace mitsu::sensor
