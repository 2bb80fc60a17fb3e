// fauth/core/internal/hmac.hpp — a keyed HMAC whose key schedule is done once (OpenSSL EVP_MAC), shared by threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <mutex>
#include <vector>

typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace fauth::detail {

/// Largest digest any supported HMAC produces (SHA-512).
inline constexpr std::size_t kMaxMacSize = 64;

/// HMAC with a fixed digest and key. Thread-safe: each computation borrows a keyed context of
/// its own from a small pool (reset, not re-keyed, between uses) and returns it.
class HmacKey {
public:
    /// `digest` is an OpenSSL digest name ("SHA256", "SHA384", "SHA512"). Throws std::runtime_error
    /// if OpenSSL cannot set it up.
    HmacKey(const char* digest, std::string_view key);
    ~HmacKey();
    HmacKey(const HmacKey&) = delete;
    HmacKey& operator=(const HmacKey&) = delete;

    /// Output size in bytes.
    std::size_t size() const noexcept { return size_; }
    /// Writes the MAC of `data` to `out` (size() bytes). Throws std::runtime_error on OpenSSL failure.
    void compute(std::string_view data, unsigned char* out) const;
    /// True when `mac` is the MAC of `data`, compared in constant time (CRYPTO_memcmp).
    bool verify(std::string_view data, std::string_view mac) const;

private:
    EVP_MAC_CTX* borrow() const;
    void give_back(EVP_MAC_CTX* ctx) const noexcept;

    EVP_MAC_CTX* keyed_ = nullptr;  // the template every pooled context is duplicated from
    std::size_t size_ = 0;
    mutable std::mutex mutex_;
    mutable std::vector<EVP_MAC_CTX*> idle_;
};

}  // namespace fauth::detail
