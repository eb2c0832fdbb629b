#pragma once
// Small POSIX helpers shared by the parts that write files durably (spool, artifact store) and
// read samples whole (artifact store, analysis, benchmarks).

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mitsu {

// "WHAT PATH: strerror(error)".
Error errno_error(std::string_view what, const std::filesystem::path& path, int error = errno);

// fsync of a directory, so a create or rename inside it survives power loss.
Status fsync_dir(const std::filesystem::path& dir);

// Reads a whole file into `into`, reusing its capacity: a worker reading sample after sample
// keeps one buffer instead of faulting in fresh pages for each. Refuses files over `cap` bytes.
Status read_file_into(const std::filesystem::path& path, std::uint64_t cap,
                      std::vector<std::byte>& into);

}  // namespace mitsu
