// Test support: fresh key pairs as PEM text, made with OpenSSL for each test run (no key
// material is committed), for every algorithm family fauth supports.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fauth::test {

/// A private key and its public key, as PEM.
struct PemPair {
    std::string private_pem;
    std::string public_pem;
};

/// Writes `key` as PEM (private or public).
inline std::string to_pem(EVP_PKEY* key, bool private_part) {
    BIO* bio = BIO_new(BIO_s_mem());
    const int ok =
        private_part ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) : PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    if (ok != 1) throw std::runtime_error("cannot write PEM");
    return pem;
}

inline PemPair pem_pair(EVP_PKEY* key) {
    if (key == nullptr) throw std::runtime_error("key generation failed");
    PemPair pair{to_pem(key, true), to_pem(key, false)};
    EVP_PKEY_free(key);
    return pair;
}

/// A fresh key pair of the kind `algorithm` needs ("RS256", "PS256", "ES256", "ES384", "ES512",
/// "EdDSA", "Ed25519"); RSA keys have `rsa_bits` bits.
inline PemPair make_pem_pair(std::string_view algorithm, unsigned rsa_bits = 2048) {
    if (algorithm.starts_with("RS") || algorithm.starts_with("PS"))
        return pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits)));
    if (algorithm == "ES256") return pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (algorithm == "ES384") return pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
    if (algorithm == "ES512") return pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"));
    if (algorithm == "EdDSA" || algorithm == "Ed25519") return pem_pair(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    throw std::invalid_argument("no key pair for " + std::string(algorithm));
}

/// An Ed25519 key pair from a raw 32-byte seed (RFC 8037 test vectors).
inline PemPair ed25519_from_seed(std::string_view seed) {
    return pem_pair(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()),
                                                 seed.size()));
}

/// Keys and compact JWSs made by jwcrypto (tests/support/jose_sign.py says what `request` holds):
/// {"jwks": the public JWK Set, "tokens": [compact JWS, ...]}. Throws std::runtime_error when
/// Python fails.
inline nlohmann::json jwcrypto(const nlohmann::json& request) {
    const auto dir = std::filesystem::path(__FILE__).parent_path();
    const auto file = std::filesystem::temp_directory_path() / ("fauth-jose-" + std::to_string(::getpid()) + ".json");
    std::ofstream(file) << request.dump();
    const std::string command = "/usr/bin/python3 " + (dir / "jose_sign.py").string() + " " + file.string();
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string out;
    char buffer[4096];
    for (std::size_t n; pipe != nullptr && (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    const int status = pipe != nullptr ? ::pclose(pipe) : -1;
    std::filesystem::remove(file);
    if (status != 0) throw std::runtime_error("jose_sign.py failed: " + command);
    return nlohmann::json::parse(out);
}

}  // namespace fauth::test
