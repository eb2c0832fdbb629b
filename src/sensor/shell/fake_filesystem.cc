#include "sensor/shell/fake_filesystem.h"

namespace mitsu::sensor {
namespace {

std::string_view parent_of(std::string_view absolute) {
  std::size_t slash = absolute.rfind('/');
  return slash == 0 || slash == std::string_view::npos ? std::string_view("/")
                                                       : absolute.substr(0, slash);
}

}  // namespace

FakeFilesystem::FakeFilesystem() {
  nodes_["/"] = Node{true, {}, 0755, false};
}

std::string FakeFilesystem::resolve(std::string_view cwd, std::string_view path) {
  std::vector<std::string_view> parts;
  auto split = [&](std::string_view text) {
    std::size_t pos = 0;
    while (pos <= text.size()) {
      std::size_t end = text.find('/', pos);
      if (end == std::string_view::npos) {
        end = text.size();
      }
      std::string_view part = text.substr(pos, end - pos);
      if (part == "..") {
        if (!parts.empty()) {
          parts.pop_back();
        }
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      pos = end + 1;
    }
  };
  if (path.empty() || path.front() != '/') {
    split(cwd);
  }
  split(path);
  std::string out;
  for (std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

const FakeFilesystem::Node* FakeFilesystem::find(std::string_view absolute) const {
  auto it = nodes_.find(absolute);
  return it == nodes_.end() ? nullptr : &it->second;
}

bool FakeFilesystem::is_directory(std::string_view absolute) const {
  const Node* node = find(absolute);
  return node != nullptr && node->directory;
}

void FakeFilesystem::add_directory(std::string_view absolute) {
  std::string path = resolve("/", absolute);
  while (path != "/" && !nodes_.contains(path)) {
    nodes_[path] = Node{true, {}, 0755, false};
    path = std::string(parent_of(path));
  }
}

void FakeFilesystem::add_file(std::string_view absolute, std::string content, std::uint32_t mode) {
  std::string path = resolve("/", absolute);
  add_directory(parent_of(path));
  nodes_[path] = Node{false, std::move(content), mode, false};
}

FakeFilesystem::WriteError FakeFilesystem::write(std::string_view absolute, std::string_view bytes,
                                                 bool append) {
  if (absolute == "/dev/null") {
    return WriteError::kNone;
  }
  if (!is_directory(parent_of(absolute))) {
    return WriteError::kNoDirectory;
  }
  auto it = nodes_.find(absolute);
  if (it != nodes_.end() && it->second.directory) {
    return WriteError::kIsDirectory;
  }
  if (written_bytes_ + bytes.size() > kMaxSessionBytes) {
    return WriteError::kFull;
  }
  written_bytes_ += bytes.size();
  if (it == nodes_.end()) {
    it = nodes_.emplace(std::string(absolute), Node{false, {}, 0644, true}).first;
  }
  Node& node = it->second;
  node.attacker_written = true;
  if (!append) {
    node.content.clear();
  }
  node.content.append(bytes);
  return WriteError::kNone;
}

bool FakeFilesystem::remove(std::string_view absolute, bool recursive) {
  auto it = nodes_.find(absolute);
  if (it == nodes_.end() || absolute == "/") {
    return false;
  }
  if (it->second.directory) {
    if (!recursive) {
      return false;
    }
    std::string prefix = std::string(absolute) + "/";
    for (auto child = nodes_.lower_bound(prefix);
         child != nodes_.end() && child->first.starts_with(prefix);) {
      child = nodes_.erase(child);
    }
  }
  nodes_.erase(nodes_.find(absolute));
  return true;
}

bool FakeFilesystem::chmod(std::string_view absolute, std::uint32_t mode) {
  auto it = nodes_.find(absolute);
  if (it == nodes_.end()) {
    return false;
  }
  it->second.mode = mode;
  return true;
}

std::vector<std::string> FakeFilesystem::list(std::string_view absolute) const {
  std::vector<std::string> out;
  std::string prefix = absolute == "/" ? "/" : std::string(absolute) + "/";
  for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && it->first.starts_with(prefix);
       ++it) {
    std::string_view rest = std::string_view(it->first).substr(prefix.size());
    if (!rest.empty() && rest.find('/') == std::string_view::npos) {
      out.emplace_back(rest);
    }
  }
  return out;
}

std::vector<std::pair<std::string, const FakeFilesystem::Node*>> FakeFilesystem::attacker_files()
    const {
  std::vector<std::pair<std::string, const Node*>> out;
  for (const auto& [path, node] : nodes_) {
    if (node.attacker_written && !node.directory) {
      out.emplace_back(path, &node);
    }
  }
  return out;
}

}  // namespace mitsu::sensor
