#pragma once
// The throwaway root directory a sample runs in: a busybox layout, the emulator, the sample in
// /tmp, harmless /dev nodes (no terminal of any kind), writable /tmp. Removed with everything in
// it when the object ends, unless kept for inspection.

#include <sys/types.h>

#include <filesystem>
#include <string>

#include "core/result.h"

namespace mitsu::analysis::sandbox {

struct JailRootSpec {
  std::filesystem::path dir;       // made fresh; must not exist or is replaced
  std::filesystem::path emulator;  // placed as /.mitsu/qemu
  std::filesystem::path busybox;   // placed as /bin/busybox with applet links, when present
  std::filesystem::path sample;    // copied to /tmp/sample
  uid_t uid = 0;                   // owns /tmp and the sample
  bool keep = false;
};

class JailRoot {
 public:
  static Result<JailRoot> make(const JailRootSpec& spec);
  JailRoot(JailRoot&& other) noexcept;
  JailRoot& operator=(JailRoot&&) = delete;
  JailRoot(const JailRoot&) = delete;
  ~JailRoot();

  const std::filesystem::path& dir() const { return dir_; }
  static constexpr const char* kSamplePath = "/tmp/sample";  // inside the jail
  static constexpr const char* kEmulatorPath = "/.mitsu/qemu";

 private:
  JailRoot(std::filesystem::path dir, bool keep) : dir_(std::move(dir)), keep_(keep) {}
  std::filesystem::path dir_;
  bool keep_ = false;
};

// The busybox applets linked into the jail; a script sample naming them is no disguise.
extern const char* const kJailApplets[17];

}  // namespace mitsu::analysis::sandbox
