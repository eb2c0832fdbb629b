#include <openssl/crypto.h>
#include <sqlite3.h>

#include <cstdio>

#include "cli/commands.h"
#include "core/event.h"
#include "spool/segment_reader.h"

#ifndef MITSU_VERSION
#define MITSU_VERSION "unknown"
#endif

namespace mitsu::cli {

int version_command() {
  std::printf("mitsu %s\n", MITSU_VERSION);
  std::printf("event schema %d, spool format %u\n", kEventSchemaVersion,
              spool::kSegmentFormatVersion);
  std::printf("sqlite %s, %s\n", sqlite3_libversion(), OpenSSL_version(OPENSSL_VERSION));
  return kExitOk;
}

}  // namespace mitsu::cli
