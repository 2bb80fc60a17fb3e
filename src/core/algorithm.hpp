// algorithm.hpp — the JWS algorithms fauth signs and verifies with (RFC 7518, RFC 8037), and what
// kind of key each needs.
#pragma once

#include <cstddef>
#include <string_view>

namespace fauth::detail {

/// The kind of key an algorithm works with.
enum class KeyFamily { hmac, rsa, rsa_pss, ecdsa, eddsa };

/// One JWS algorithm.
struct JwsAlgorithm {
    std::string_view name;        ///< JWS `alg` value, e.g. "HS256"
    KeyFamily family;             ///< the key type it needs
    const char* digest;           ///< OpenSSL digest name; null for EdDSA (no pre-hash)
    std::size_t min_key_bytes;    ///< HMAC: a key at least as long as the hash output
    std::string_view curve;       ///< ECDSA: the JOSE curve name ("P-256")
    const char* openssl_group;    ///< ECDSA: the OpenSSL group name ("prime256v1")
    std::size_t component_bytes;  ///< ECDSA: bytes of r and of s in a JOSE signature
};

/// The algorithm called `name` (exact, case-sensitive as JWS requires), or null.
const JwsAlgorithm* find_algorithm(std::string_view name) noexcept;
/// The HMAC algorithm called `name`, or null (also for every non-HMAC algorithm).
const JwsAlgorithm* find_hmac_algorithm(std::string_view name) noexcept;

/// The names of the HMAC algorithms, for error messages: "HS256, HS384, HS512".
std::string_view supported_hmac_names() noexcept;
/// The names of every supported algorithm, for error messages.
std::string_view supported_algorithm_names() noexcept;

}  // namespace fauth::detail
