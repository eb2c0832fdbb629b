#include "core/file_walk.h"

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace mitsu {
namespace {

namespace fs = std::filesystem;

std::string kind_of(fs::file_type type) {
  switch (type) {
    case fs::file_type::fifo:
      return "FIFO, not a regular file";
    case fs::file_type::socket:
      return "socket, not a regular file";
    case fs::file_type::block:
      return "block device, not a regular file";
    case fs::file_type::character:
      return "character device, not a regular file";
    default:
      return "not a regular file";
  }
}

std::string reason(const std::error_code& ec) {
  if (ec.value() == ELOOP) {
    return "symbolic link loop";
  }
  std::string message = ec.message();  // "No such file…" reads "no such file…" mid-line
  if (!message.empty() && message[0] >= 'A' && message[0] <= 'Z') {
    message[0] = static_cast<char>(message[0] - 'A' + 'a');
  }
  return message;
}

class Walker {
 public:
  WalkedFiles out;

  void visit(const fs::path& path, bool given) {
    std::error_code ec;
    fs::file_status link = fs::symlink_status(path, ec);
    if (ec || link.type() == fs::file_type::not_found) {
      skip(path, ec ? reason(ec) : "no such file or directory", given);
      return;
    }
    bool is_link = fs::is_symlink(link);
    fs::file_status target = is_link ? fs::status(path, ec) : link;
    if (target.type() == fs::file_type::not_found) {
      skip(path, "dangling symbolic link", given);
      return;
    }
    if (ec) {
      skip(path, reason(ec), given);
      return;
    }
    if (fs::is_regular_file(target)) {
      out.files.push_back(path);
    } else if (fs::is_directory(target)) {
      if (is_link && !given) {
        skip(path, "symbolic link to a directory, not followed", given);
      } else {
        descend(path, given);
      }
    } else {
      skip(path, kind_of(target.type()), given);
    }
  }

 private:
  void descend(const fs::path& dir, bool given) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      skip(dir, reason(ec), given);
      return;
    }
    std::vector<fs::path> children;
    for (fs::directory_iterator end; it != end; it.increment(ec)) {
      children.push_back(it->path());
    }
    if (ec) {
      skip(dir, "listing stopped: " + reason(ec), given);
    }
    std::sort(children.begin(), children.end());
    for (const fs::path& child : children) {
      visit(child, false);
    }
  }

  void skip(const fs::path& path, std::string why, bool given) {
    out.skipped.push_back({path, std::move(why), given});
  }
};

}  // namespace

WalkedFiles walk_files(const std::vector<std::filesystem::path>& roots) {
  Walker walker;
  for (const auto& root : roots) {
    walker.visit(root, true);
  }
  std::sort(walker.out.files.begin(), walker.out.files.end());
  return std::move(walker.out);
}

}  // namespace mitsu
