#pragma once
// The filesystem an emulated shell sees: the persona's files plus what the attacker writes in
// this session (an overlay, so `ls`/`cat` show the session's own files and nothing leaks between
// sessions). Sizes are capped: an attacker cannot grow a session past kMaxSessionBytes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mitsu::sensor {

inline constexpr std::size_t kMaxSessionBytes = 16 * 1024 * 1024;

class FakeFilesystem {
 public:
  struct Node {
    bool directory = false;
    std::string content;
    std::uint32_t mode = 0644;
    bool attacker_written = false;  // created or changed in this session
  };

  FakeFilesystem();

  // "/a/b/../c" from the current directory; always absolute, never above "/".
  static std::string resolve(std::string_view cwd, std::string_view path);

  const Node* find(std::string_view absolute) const;
  bool is_directory(std::string_view absolute) const;
  void add_directory(std::string_view absolute);
  // Persona content: not attacker-written.
  void add_file(std::string_view absolute, std::string content, std::uint32_t mode);

  enum class WriteError { kNone, kNoDirectory, kIsDirectory, kFull };
  WriteError write(std::string_view absolute, std::string_view bytes, bool append);
  bool remove(std::string_view absolute, bool recursive);
  bool chmod(std::string_view absolute, std::uint32_t mode);
  // Names directly inside a directory, sorted.
  std::vector<std::string> list(std::string_view absolute) const;
  // Files the attacker wrote, with their current contents.
  std::vector<std::pair<std::string, const Node*>> attacker_files() const;

 private:
  std::map<std::string, Node, std::less<>> nodes_;
  std::size_t written_bytes_ = 0;
};

}  // namespace mitsu::sensor
