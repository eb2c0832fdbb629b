#pragma once
// What kind of file a sample is: libmagic's description and MIME type, and the category the
// pipeline branches on.

#include <memory>
#include <span>
#include <string>

namespace mitsu::analysis {

enum class FileCategory { kElf, kScript, kArchive, kOther };
std::string_view file_category_name(FileCategory category);

struct FileType {
  std::string description;  // libmagic, e.g. "ELF 32-bit LSB executable, ARM, EABI5 …"
  std::string mime;         // e.g. "application/x-executable"
  FileCategory category = FileCategory::kOther;
};

// Holds a libmagic handle: not thread-safe, keep one per thread.
class FileTypeDetector {
 public:
  FileTypeDetector();
  ~FileTypeDetector();
  FileTypeDetector(const FileTypeDetector&) = delete;
  FileTypeDetector& operator=(const FileTypeDetector&) = delete;

  FileType detect(std::span<const std::byte> data);

 private:
  struct Handles;
  std::unique_ptr<Handles> handles_;
};

}  // namespace mitsu::analysis
