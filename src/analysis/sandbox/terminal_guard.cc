#include "analysis/sandbox/terminal_guard.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace mitsu::analysis::sandbox {
namespace {

#if !defined(__x86_64__)
#error "the terminal guard's filter is written for x86-64 hosts"
#endif

constexpr unsigned int kRefused[] = {TIOCSTI, TIOCLINUX, TIOCCONS, TIOCSCTTY};
constexpr unsigned int kKeyboardType = 0x4B00;         // KDSETMODE, KDSKBENT, KDSIGACCEPT, …
constexpr unsigned int kVirtualTerminalType = 0x5600;  // VT_ACTIVATE, VT_SETMODE, …
// The request's low word: seccomp_data.args are 64-bit, little-endian on x86-64.
constexpr unsigned int kRequestOffset = offsetof(seccomp_data, args) + sizeof(__u64);

}  // namespace

bool terminal_guard_refuses(unsigned int request) {
  for (unsigned int r : kRefused) {
    if (request == r) {
      return true;
    }
  }
  unsigned int type = request & 0xFFFFFF00u;
  return type == kKeyboardType || type == kVirtualTerminalType;
}

bool install_terminal_guard() {
  constexpr unsigned int kDeny = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
  // Jump offsets count instructions after the jump; the deny is always the last instruction.
  sock_filter filter[] = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 13),
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 11, 0),
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 1, 0),
      /* 5 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kRequestOffset),
      /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kRefused[0], 7, 0),
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kRefused[1], 6, 0),
      /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kRefused[2], 5, 0),
      /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kRefused[3], 4, 0),
      /* 11 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xFFFFFF00u),
      /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kKeyboardType, 2, 0),
      /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kVirtualTerminalType, 1, 0),
      /* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* 15 */ BPF_STMT(BPF_RET | BPF_K, kDeny),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return false;
  }
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0;
}

}  // namespace mitsu::analysis::sandbox
