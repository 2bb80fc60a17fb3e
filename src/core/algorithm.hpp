// algorithm.hpp — the JWS algorithms fauth signs and verifies with, and what each needs.
#pragma once

#include <cstddef>
#include <string_view>

namespace fauth::detail {

/// An HMAC-based JWS algorithm (RFC 7518 section 3.2).
struct HmacAlgorithm {
    std::string_view name;    ///< JWS `alg` value, e.g. "HS256"
    const char* digest;       ///< OpenSSL digest name
    std::size_t min_key_bytes;  ///< RFC 7518: a key at least as long as the hash output
};

/// The algorithm called `name` (exact, case-sensitive as JWS requires), or null.
const HmacAlgorithm* find_hmac_algorithm(std::string_view name) noexcept;

/// The names accepted by find_hmac_algorithm, for error messages: "HS256, HS384, HS512".
std::string_view supported_algorithm_names() noexcept;

}  // namespace fauth::detail
