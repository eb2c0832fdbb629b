#pragma once
// ssdeep (Kornblum's context-triggered piecewise hash) digest, the text libfuzzy's
// fuzzy_hash_buf() gives. Our own pass because libfuzzy steps through its state one call a byte
// and was a fifth of the static pipeline; the tests hold our digests equal to libfuzzy's, which
// still scores similarity.

#include <span>
#include <string>

namespace mitsu::analysis {

// "blocksize:digest:digest_of_double_blocksize". Inputs past 4 GiB are refused (empty string),
// as fuzzy_hash_buf's 32-bit length would.
std::string ssdeep_digest(std::span<const std::byte> data);

}  // namespace mitsu::analysis
