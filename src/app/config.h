#pragma once
// The configuration the wiring reads. Its types and loader still live in src/cli while they are
// edited elsewhere; app code names them only through this header, so moving them is one edit.

#include "cli/config.h"

namespace mitsu::app {

using Config = cli::Config;

}  // namespace mitsu::app
