#pragma once
// Small POSIX helpers shared by the parts that write files durably (spool, artifact store).

#include <cerrno>
#include <filesystem>
#include <string_view>

#include "core/result.h"

namespace mitsu {

// "WHAT PATH: strerror(error)".
Error errno_error(std::string_view what, const std::filesystem::path& path, int error = errno);

// fsync of a directory, so a create or rename inside it survives power loss.
Status fsync_dir(const std::filesystem::path& dir);

}  // namespace mitsu
