// fauth/core/internal/hmac.hpp — a keyed HMAC (RFC 2104) whose key schedule is done once, shared by threads.
#pragma once

#include <cstddef>
#include <string_view>

namespace fauth::detail {

/// Largest digest any supported HMAC produces (SHA-512).
inline constexpr std::size_t kMaxMacSize = 64;

/// HMAC-SHA-256, -384 or -512 with a fixed key. The inner and outer hash states (the key padded
/// with ipad and opad, one block absorbed each) are computed once; each MAC copies them onto the
/// stack, so computing allocates nothing, takes no lock, and is thread-safe (the key is immutable).
class HmacKey {
public:
    /// `digest` is an OpenSSL digest name: "SHA256", "SHA384" or "SHA512". Throws
    /// std::runtime_error for any other.
    HmacKey(const char* digest, std::string_view key);
    /// Wipes the key's hash states.
    ~HmacKey();
    HmacKey(const HmacKey&) = delete;
    HmacKey& operator=(const HmacKey&) = delete;

    /// Output size in bytes.
    std::size_t size() const noexcept { return size_; }
    /// Writes the MAC of `data` to `out` (size() bytes).
    void compute(std::string_view data, unsigned char* out) const noexcept;
    /// True when `mac` is the MAC of `data`, compared in constant time (CRYPTO_memcmp).
    bool verify(std::string_view data, std::string_view mac) const noexcept;

    /// Bytes kept per hash state: sizeof(SHA512_CTX) fits (checked in hmac.cpp).
    static constexpr std::size_t kStateBytes = 224;

private:
    enum class Digest : unsigned char { sha256, sha384, sha512 };

    Digest digest_ = Digest::sha256;
    std::size_t size_ = 0;
    // OpenSSL's SHA256_CTX or SHA512_CTX, kept as bytes so that its deprecated type stays out of
    // this header; hmac.cpp copies them in and out with memcpy.
    alignas(8) unsigned char inner_[kStateBytes] = {};
    alignas(8) unsigned char outer_[kStateBytes] = {};
};

}  // namespace fauth::detail
