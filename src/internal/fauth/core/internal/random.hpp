// fauth/core/internal/random.hpp — the one source of randomness fauth uses: the system CSPRNG (OpenSSL
// RAND_bytes). Every function throws std::runtime_error if the CSPRNG fails, rather than ever
// returning predictable output.
#pragma once

#include <cstddef>
#include <string>

namespace fauth {

/// `bytes` random bytes.
std::string random_bytes(std::size_t bytes);

/// `bytes` random bytes as lower-case hex (2 * bytes characters).
std::string random_hex(std::size_t bytes);

}  // namespace fauth
