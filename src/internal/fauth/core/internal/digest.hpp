// fauth/core/internal/digest.hpp — SHA-256 and constant-time comparison: the one copy of each fauth uses
// for secrets that are compared (CSRF tokens, reset bindings, API key hashes).
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace fauth {

/// SHA-256 of `data`. Throws std::runtime_error if OpenSSL fails.
std::array<unsigned char, 32> sha256(std::string_view data);

/// SHA-256 of `data` as 64 lower-case hex characters. Throws std::runtime_error if OpenSSL fails.
std::string sha256_hex(std::string_view data);

/// True when `a` and `b` are equal; the bytes are compared in constant time (CRYPTO_memcmp),
/// only the lengths are not (compare values of a fixed length, such as digests).
bool equal_in_constant_time(std::string_view a, std::string_view b) noexcept;

}  // namespace fauth
