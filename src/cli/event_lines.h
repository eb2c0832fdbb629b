#pragma once
// Stored events as the CLI prints them: one text line each, or their JSON made safe for a
// terminal. Shared by `events`, `session` and `sample`.

#include <string>

#include "core/event.h"

namespace mitsu::cli {

// Time, kind, where (attacker -> protocol/port, or the sensor), device type and the fields that
// matter most for the kind; everything an attacker chose is escaped for the terminal.
std::string event_line(const Event& event);

// A stored event as printed: byte for byte when it is plain ASCII (nearly always), otherwise
// re-written with every non-ASCII character as \uXXXX — the same JSON value, but JSON's own
// escaping would leave C1 controls and bidirectional overrides for the terminal to act on.
std::string terminal_json(const std::string& body);

}  // namespace mitsu::cli
