#include "analysis/sandbox/uid_lease.h"

#include <fcntl.h>
#include <sys/file.h>

#include <filesystem>
#include <string>

namespace mitsu::analysis::sandbox {

Result<UidLease> UidLease::acquire(int base_uid, int slot) {
  // Machine-wide: every Mitsu process takes its uids from the same lock directory.
  const std::filesystem::path dir = "/run/mitsu-sandbox-uids";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (int n = slot; n < slot + 4096; ++n) {
    std::string path = (dir / std::to_string(n)).string();
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (fd && flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      return UidLease(std::move(fd), static_cast<uid_t>(base_uid + n));
    }
  }
  return Error{"sandbox: no free uid to run the sample as"};
}

}  // namespace mitsu::analysis::sandbox
