#pragma once
// The process's log: one line per message on standard error, with every message passed through
// terminal_safe, because messages carry attacker text (paths, user names, PROXY headers) and the
// operator reads them on a terminal.

#include <string>

namespace mitsu::cli {

void setup_logging();

}  // namespace mitsu::cli
