// Incremental SHA-256 (OpenSSL EVP, which uses the CPU's SHA extensions).
#pragma once

#include <cstddef>
#include <string>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace stasis::archive {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  // Lowercase hex; the hasher is reset afterwards.
  std::string FinishHex();

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace stasis::archive
