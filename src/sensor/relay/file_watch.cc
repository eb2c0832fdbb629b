#include "sensor/relay/file_watch.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace mitsu::sensor::relay {

Result<FileWatch> FileWatch::start(const std::filesystem::path& dir) {
  FileWatch w;
  w.fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w.fd_ < 0) {
    return Error{fmt::format("watch {}: inotify: {}", dir.string(), std::strerror(errno))};
  }
  w.root_ = dir;
  if (!std::filesystem::is_directory(dir)) {
    return Error{fmt::format("watch {}: not a directory", dir.string())};
  }
  w.watch(dir);
  if (w.dirs_.empty()) {
    return Error{fmt::format("watch {}: {}", dir.string(), std::strerror(errno))};
  }
  return w;
}

FileWatch::FileWatch(FileWatch&& o) noexcept {
  *this = std::move(o);
}

FileWatch& FileWatch::operator=(FileWatch&& o) noexcept {
  std::swap(fd_, o.fd_);
  std::swap(root_, o.root_);
  std::swap(dirs_, o.dirs_);
  std::swap(held_, o.held_);
  return *this;
}

FileWatch::~FileWatch() {
  for (const auto& [path, fd] : held_) {
    ::close(fd);
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void FileWatch::watch(const std::filesystem::path& dir) {
  int wd = ::inotify_add_watch(
      fd_, dir.c_str(), IN_CREATE | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO);
  if (wd < 0) {
    return;
  }
  std::string relative = std::filesystem::relative(dir, root_).generic_string();
  dirs_[wd] = relative == "." ? "" : relative;
}

std::string FileWatch::read_held(int fd) const {
  std::string content;
  std::array<char, 65536> buffer{};
  for (off_t at = 0; content.size() < kMaxFileBytes;) {
    ssize_t n = ::pread(fd, buffer.data(), buffer.size(), at);
    if (n <= 0) {
      break;
    }
    content.append(buffer.data(), static_cast<std::size_t>(n));
    at += n;
  }
  return content;
}

void FileWatch::drain(const std::function<void(FileChange)>& report) {
  alignas(inotify_event) std::array<char, 64 * 1024> buffer{};
  for (;;) {
    ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n <= 0) {
      return;  // EAGAIN: nothing more for now
    }
    for (ssize_t at = 0; at < n;) {
      auto* e = reinterpret_cast<inotify_event*>(buffer.data() + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      auto dir = dirs_.find(e->wd);
      if (dir == dirs_.end() || e->len == 0) {
        continue;
      }
      std::string relative = dir->second.empty() ? e->name : dir->second + "/" + e->name;
      std::filesystem::path full = root_ / relative;
      if (e->mask & IN_ISDIR) {
        if (e->mask & (IN_CREATE | IN_MOVED_TO)) {
          watch(full);
        }
        continue;
      }
      if (e->mask & (IN_CREATE | IN_MOVED_TO)) {
        // Opened now, before anyone can delete it; read when written or gone.
        if (!held_.contains(relative) && held_.size() < kMaxHeldFiles) {
          int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
          if (fd >= 0) {
            held_[relative] = fd;
          }
        }
        if (e->mask & IN_MOVED_TO) {
          if (auto it = held_.find(relative); it != held_.end()) {
            report({FileChange::Kind::kCreated, relative, read_held(it->second)});
          }
        }
        continue;
      }
      if (e->mask & IN_CLOSE_WRITE) {
        if (auto it = held_.find(relative); it != held_.end()) {
          report({FileChange::Kind::kCreated, relative, read_held(it->second)});
          ::close(it->second);
          held_.erase(it);
        } else {
          int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
          if (fd >= 0) {
            report({FileChange::Kind::kModified, relative, read_held(fd)});
            ::close(fd);
          }
        }
        continue;
      }
      if (e->mask & (IN_DELETE | IN_MOVED_FROM)) {
        // Deleted before it was closed: what it held is still readable through our descriptor.
        if (auto it = held_.find(relative); it != held_.end()) {
          report({FileChange::Kind::kCreated, relative, read_held(it->second)});
          ::close(it->second);
          held_.erase(it);
        }
        report({FileChange::Kind::kDeleted, relative, {}});
      }
    }
  }
}

}  // namespace mitsu::sensor::relay
