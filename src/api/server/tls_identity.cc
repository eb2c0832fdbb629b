#include "api/server/tls_identity.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace mitsu::api {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

Error ssl_error(std::string_view what) {
  return Error{fmt::format("TLS identity: {}", what)};
}

Result<std::string> fingerprint(const std::filesystem::path& cert_path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(cert_path.c_str(), "r"), &std::fclose);
  if (!file) {
    return Error::invalid(fmt::format("cannot read the certificate {}", cert_path.string()));
  }
  Cert cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return Error::invalid(fmt::format("{} holds no PEM certificate", cert_path.string()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert.get(), EVP_sha256(), digest, &length);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += fmt::format("{}{:02x}", i ? ":" : "", digest[i]);
  }
  return out;
}

// Writes with the given mode from the start (the key is never briefly world-readable).
template <typename WritePem>
Status write_pem(const std::filesystem::path& path, mode_t mode, WritePem write) {
  // A fresh file: an old one (perhaps with a looser mode) or a symlink is never written through.
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    return Error{fmt::format("cannot write {}", path.string())};
  }
  FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    ::close(fd);
    return Error{fmt::format("cannot write {}", path.string())};
  }
  bool ok = write(file) == 1;
  ok = std::fclose(file) == 0 && ok;
  return ok ? Status{} : Status(Error{fmt::format("cannot write {}", path.string())});
}

Status make_self_signed(const std::filesystem::path& cert_path,
                        const std::filesystem::path& key_path) {
  Key key(EVP_EC_gen("P-256"));
  Cert cert(X509_new());
  if (!key || !cert) {
    return ssl_error("cannot make a key");
  }
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    return ssl_error("no random serial");
  }
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 825L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mitsu"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
                            {NID_basic_constraints, "critical,CA:FALSE"},
                            {NID_ext_key_usage, "serverAuth"}}) {
    Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      return ssl_error("cannot add an extension");
    }
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return ssl_error("cannot sign the certificate");
  }
  if (Status s = write_pem(key_path, 0600,
                           [&](FILE* f) {
                             return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr,
                                                         nullptr);
                           });
      !s) {
    return s;
  }
  return write_pem(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
}

}  // namespace

Result<TlsIdentity> ensure_tls_identity(const std::filesystem::path& cert,
                                        const std::filesystem::path& key,
                                        const std::filesystem::path& dir) {
  if (cert.empty() != key.empty()) {
    return Error::invalid("[api] tls_certificate and tls_key go together: set both or neither");
  }
  TlsIdentity identity{cert, key, {}};
  if (cert.empty()) {
    identity.certificate = dir / "cert.pem";
    identity.private_key = dir / "key.pem";
    std::error_code ec;
    if (!std::filesystem::exists(identity.certificate, ec) ||
        !std::filesystem::exists(identity.private_key, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        return Error{fmt::format("cannot create {}: {}", dir.string(), ec.message())};
      }
      if (Status made = make_self_signed(identity.certificate, identity.private_key); !made) {
        return made.failure();
      }
    }
  }
  auto print = fingerprint(identity.certificate);
  if (!print) {
    return print.failure();
  }
  identity.sha256_fingerprint = *print;
  return identity;
}

}  // namespace mitsu::api
