#include "core/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace mitsu {

Error errno_error(std::string_view what, const std::filesystem::path& path, int error) {
  std::string message = fmt::format("{} {}: {}", what, path.string(), std::strerror(error));
  if (error == ENOENT || error == ENOTDIR) {
    return Error::not_found(std::move(message));
  }
  return Error::unavailable(std::move(message));
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

Status read_file_into(const std::filesystem::path& path, std::uint64_t cap,
                      std::vector<std::byte>& into) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno_error("open", path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Error error = errno_error("stat", path);
    ::close(fd);
    return error;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > cap) {
    ::close(fd);
    return Error::invalid(
        fmt::format("{}: {} bytes, larger than the {} byte cap", path.string(), size, cap));
  }
  into.resize(static_cast<std::size_t>(size));
  std::size_t got = 0;
  while (got < into.size()) {
    ssize_t n = ::read(fd, into.data() + got, into.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      Error error =
          n < 0 ? errno_error("read", path)
                : Error{fmt::format("read {}: file shrank while being read", path.string())};
      ::close(fd);
      return error;
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return {};
}

}  // namespace mitsu
