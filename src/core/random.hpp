// random.hpp — random identifiers from the system CSPRNG (OpenSSL RAND_bytes).
#pragma once

#include <cstddef>
#include <string>

namespace fauth::detail {

/// `bytes` random bytes as lower-case hex (2 * bytes characters). Throws std::runtime_error if the
/// CSPRNG fails, rather than ever returning predictable output.
std::string random_hex(std::size_t bytes);

}  // namespace fauth::detail
