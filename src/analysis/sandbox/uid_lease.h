#pragma once
// The sample's own uid for one run, leased machine-wide with a lock file so concurrent runs (in
// this process or another) never share one: RLIMIT_NPROC counts per uid, and the stray-process
// check looks for it. The lease ends when the object does.

#include <sys/types.h>

#include "core/result.h"
#include "core/unique_fd.h"

namespace mitsu::analysis::sandbox {

class UidLease {
 public:
  // The first free uid from base_uid + slot on.
  static Result<UidLease> acquire(int base_uid, int slot);
  uid_t uid() const { return uid_; }

 private:
  UidLease(UniqueFd lock, uid_t uid) : lock_(std::move(lock)), uid_(uid) {}
  UniqueFd lock_;
  uid_t uid_ = 0;
};

}  // namespace mitsu::analysis::sandbox
