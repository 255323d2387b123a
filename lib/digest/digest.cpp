#include "digest/digest.h"

#include <openssl/evp.h>

#include <fstream>
#include <stdexcept>
#include <vector>

namespace genre::digest {

namespace {
EVP_MD_CTX* ctx_of(void* p) { return static_cast<EVP_MD_CTX*>(p); }
}  // namespace

Digest::Digest(Algorithm algorithm) : ctx_(EVP_MD_CTX_new()) {
  const EVP_MD* md = algorithm == Algorithm::Sha1 ? EVP_sha1() : EVP_sha256();
  if (!ctx_ || EVP_DigestInit_ex(ctx_of(ctx_), md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx_of(ctx_));
    throw std::runtime_error("OpenSSL could not start a digest");
  }
}

Digest::~Digest() { EVP_MD_CTX_free(ctx_of(ctx_)); }

void Digest::update(const void* data, std::size_t size) {
  if (size > 0 && EVP_DigestUpdate(ctx_of(ctx_), data, size) != 1)
    throw std::runtime_error("OpenSSL digest update failed");
}

std::string Digest::finish_hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_of(ctx_), md, &len) != 1) throw std::runtime_error("OpenSSL digest failed");
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

std::string Digest::hex_of(Algorithm algorithm, const void* data, std::size_t size) {
  Digest d(algorithm);
  d.update(data, size);
  return d.finish_hex();
}

std::string file_hex(Algorithm algorithm, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open for reading");
  Digest d(algorithm);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    d.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return d.finish_hex();
}

}  // namespace genre::digest
