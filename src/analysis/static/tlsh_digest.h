#pragma once
// TLSH digest (Oliver, Cheng & Chen, 2013) in the form Debian's libtlsh 3.x prints: 128 buckets,
// one checksum byte, 70 hex digits, no "T1" prefix. Our own pass because libtlsh calls its Pearson
// hash through the PLT 24 times a byte and was a quarter of the static pipeline; the digests are
// checked against libtlsh's in the tests, and libtlsh still computes distances.

#include <span>
#include <string>

namespace mitsu::analysis {

// Empty when the input is shorter than 256 bytes or too uniform to fill half the buckets.
std::string tlsh_digest(std::span<const std::byte> data);

}  // namespace mitsu::analysis
