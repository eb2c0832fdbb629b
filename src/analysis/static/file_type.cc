#include "analysis/static/file_type.h"

#include <magic.h>

#include <optional>
#include <stdexcept>
#include <string_view>

#include "core/byte_reader.h"

namespace mitsu::analysis {
namespace {

magic_t open_magic(int flags) {
  magic_t handle = magic_open(flags | MAGIC_NO_CHECK_COMPRESS);
  if (handle == nullptr || magic_load(handle, nullptr) != 0) {
    throw std::runtime_error("libmagic: cannot load the magic database");  // start-up only
  }
  return handle;
}

bool starts_with(std::span<const std::byte> data, std::string_view prefix, std::size_t at = 0) {
  return ByteReader(data).text(at, prefix.size()) == prefix;
}

// libmagic's ELF rule picks the MIME type from e_type alone; asking libmagic a second time costs
// as much as the description did, so ELF files (most samples) take this path. A test holds it
// equal to libmagic's answer over real ELF files.
std::optional<std::string> elf_mime(std::span<const std::byte> data) {
  ByteReader r(data);
  auto ei_data = r.u8(5);  // 1: little-endian, 2: big-endian
  if (!starts_with(data,
                   "\x7f"
                   "ELF") ||
      (ei_data != 1 && ei_data != 2)) {
    return std::nullopt;
  }
  r.set_big_endian(ei_data == 2);
  auto type = r.u16(16);
  if (!type) {
    return std::nullopt;
  }
  switch (*type) {
    case 1:
      return "application/x-object";
    case 2:
      return "application/x-executable";
    case 3:
      return "application/x-sharedlib";
    case 4:
      return "application/x-coredump";
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string_view file_category_name(FileCategory category) {
  switch (category) {
    case FileCategory::kElf:
      return "elf";
    case FileCategory::kScript:
      return "script";
    case FileCategory::kArchive:
      return "archive";
    case FileCategory::kOther:
      return "other";
  }
  return "other";
}

struct FileTypeDetector::Handles {
  magic_t description = open_magic(MAGIC_NONE);
  // ELF descriptions come from the ELF magic alone; skipping the text-encoding tests saves a
  // third of libmagic's time on them (a test holds the descriptions equal).
  magic_t elf_description = open_magic(MAGIC_NO_CHECK_ENCODING);
  magic_t mime = open_magic(MAGIC_MIME_TYPE);
  ~Handles() {
    magic_close(description);
    magic_close(elf_description);
    magic_close(mime);
  }
};

FileTypeDetector::FileTypeDetector() : handles_(std::make_unique<Handles>()) {}
FileTypeDetector::~FileTypeDetector() = default;

FileType FileTypeDetector::detect(std::span<const std::byte> data) {
  FileType type;
  auto mime = elf_mime(data);
  magic_t describe = mime ? handles_->elf_description : handles_->description;
  if (const char* text = magic_buffer(describe, data.data(), data.size())) {
    type.description = text;
  }
  if (mime && type.description.starts_with("ELF ")) {
    type.mime = std::move(*mime);
  } else if (const char* text = magic_buffer(handles_->mime, data.data(), data.size())) {
    type.mime = text;
  }
  // Our own checks first: the category must not depend on the magic database's version.
  if (starts_with(data,
                  "\x7f"
                  "ELF")) {
    type.category = FileCategory::kElf;
  } else if (starts_with(data, "#!") || type.mime == "text/x-shellscript") {
    type.category = FileCategory::kScript;
  } else if (starts_with(data, "\x1f\x8b") || starts_with(data, "PK\x03\x04") ||
             starts_with(data, "BZh") ||
             starts_with(data,
                         "\xfd"
                         "7zXZ") ||
             starts_with(data, "7z\xbc\xaf\x27\x1c") || starts_with(data, "ustar", 257)) {
    type.category = FileCategory::kArchive;
  } else if (type.mime.starts_with("text/")) {
    // Droppers often arrive without a #! line: a text file of shell commands is a script.
    std::string_view text(reinterpret_cast<const char*>(data.data()),
                          std::min<std::size_t>(data.size(), 4096));
    for (std::string_view marker : {"wget ", "curl ", "tftp ", "busybox", "chmod ", "/bin/sh"}) {
      if (text.find(marker) != std::string_view::npos) {
        type.category = FileCategory::kScript;
        break;
      }
    }
  }
  return type;
}

}  // namespace mitsu::analysis
