#pragma once
// The one directory walker of the command line (analyze, ingest): every regular file under the
// given paths, and every entry it did not take with the reason, so nothing is skipped silently.
// Symbolic links to files are followed; links to directories are not (no cycles, no escaping
// the tree), and loops or dangling links are reported, never thrown.

#include <filesystem>
#include <string>
#include <vector>

namespace mitsu {

struct SkippedPath {
  std::filesystem::path path;
  std::string why;     // "symbolic link loop", "FIFO, not a regular file", …
  bool given = false;  // named on the command line, not found inside a directory
};

struct WalkedFiles {
  std::vector<std::filesystem::path> files;  // sorted
  std::vector<SkippedPath> skipped;          // in walk order
};

WalkedFiles walk_files(const std::vector<std::filesystem::path>& roots);

}  // namespace mitsu
