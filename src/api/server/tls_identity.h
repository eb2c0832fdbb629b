#pragma once
// The API's TLS certificate: the configured one, or a self-signed one made on first start and
// kept in the data directory (key readable by the owner only), so the API is never plain HTTP.

#include <filesystem>
#include <string>

#include "core/result.h"

namespace mitsu::api {

struct TlsIdentity {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path private_key;  // PEM
  std::string sha256_fingerprint;     // of the certificate's DER, for pinning ("ab:cd:...")
};

// `cert` and `key` both given: they are used as they are (and must exist). Both empty: the
// pair in `dir` (cert.pem, key.pem), made there first if missing: an EC P-256 key and a
// certificate for localhost, 127.0.0.1 and ::1, valid for 825 days.
Result<TlsIdentity> ensure_tls_identity(const std::filesystem::path& cert,
                                        const std::filesystem::path& key,
                                        const std::filesystem::path& dir);

}  // namespace mitsu::api
