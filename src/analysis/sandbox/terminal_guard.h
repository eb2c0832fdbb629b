#pragma once
// The kernel-enforced half of keeping a sample away from terminals: a seccomp filter, inherited
// by every process of the jail (QEMU included), that refuses the ioctls which push input into a
// terminal or drive the console — TIOCSTI, TIOCLINUX, TIOCCONS, TIOCSCTTY, the keyboard (KD*) and
// virtual-terminal (VT_*) families — and every system call of a foreign ABI (i386, x32), whose
// numbers the filter would otherwise misread. The calls fail with EPERM, which QEMU's trace shows,
// so the report can name them. The other half: the jail holds no terminal descriptor at all.

namespace mitsu::analysis::sandbox {

// Installs the filter on the calling thread (no_new_privs first). Async-signal-safe: for the
// forked jail child. Returns false with errno set on failure.
bool install_terminal_guard();

// Whether the guard refuses this ioctl request (the low 32 bits, as the kernel reads them).
bool terminal_guard_refuses(unsigned int request);

}  // namespace mitsu::analysis::sandbox
