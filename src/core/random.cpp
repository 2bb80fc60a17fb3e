#include "random.hpp"

#include <stdexcept>
#include <vector>

#include <openssl/rand.h>

namespace fauth::detail {

std::string random_hex(std::size_t bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::vector<unsigned char> buf(bytes);
    if (bytes > 0 && RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1)
        throw std::runtime_error("OpenSSL RAND_bytes failed");
    std::string out;
    out.reserve(bytes * 2);
    for (const unsigned char b : buf) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    }
    return out;
}

}  // namespace fauth::detail
