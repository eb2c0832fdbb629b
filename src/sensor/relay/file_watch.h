#pragma once
// Watches a directory where a real device's storage can be seen (a Samba share's path, a
// mounted NAS volume) with inotify. Each new file is opened the moment it appears and held open,
// so a dropper that writes a file and deletes it a few milliseconds later is still read whole:
// the bytes live as long as Mitsu holds the file. Reports created, modified and deleted files.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace mitsu::sensor::relay {

struct FileChange {
  enum class Kind { kCreated, kModified, kDeleted };
  Kind kind;
  std::string path;     // relative to the watched directory, '/' separated
  std::string content;  // created/modified: the file as it was last written
};

class FileWatch {
 public:
  static constexpr std::size_t kMaxHeldFiles = 256;
  static constexpr std::uint64_t kMaxFileBytes = 64ULL << 20;

  static Result<FileWatch> start(const std::filesystem::path& dir);
  FileWatch(FileWatch&&) noexcept;
  FileWatch& operator=(FileWatch&&) noexcept;
  ~FileWatch();

  // The inotify descriptor: readable when changes wait (for the runtime's event loop).
  int fd() const { return fd_; }
  // Reads what is pending and reports each change; never blocks.
  void drain(const std::function<void(FileChange)>& report);

 private:
  FileWatch() = default;
  void watch(const std::filesystem::path& dir);
  std::string read_held(int fd) const;

  int fd_ = -1;
  std::filesystem::path root_;
  std::map<int, std::string> dirs_;  // watch descriptor → relative directory ("" for root)
  std::map<std::string, int> held_;  // relative path → descriptor opened on creation
};

}  // namespace mitsu::sensor::relay
