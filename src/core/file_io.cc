#include "core/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>

namespace mitsu {

Error errno_error(std::string_view what, const std::filesystem::path& path, int error) {
  return Error{fmt::format("{} {}: {}", what, path.string(), std::strerror(error))};
}

Status fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return errno_error("open directory", dir);
  }
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (rc != 0) {
    return errno_error("fsync directory", dir, error);
  }
  return {};
}

}  // namespace mitsu
