#include "fauth/core/internal/random.hpp"

#include <stdexcept>

#include <openssl/rand.h>

namespace fauth {

std::string random_bytes(std::size_t bytes) {
    std::string out(bytes, '\0');
    if (bytes > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(bytes)) != 1)
        throw std::runtime_error("OpenSSL RAND_bytes failed");
    return out;
}

std::string random_hex(std::size_t bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto raw = random_bytes(bytes);
    std::string out;
    out.reserve(bytes * 2);
    for (const char c : raw) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    }
    return out;
}

}  // namespace fauth
