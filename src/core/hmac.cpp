#include "fauth/core/internal/hmac.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace fauth::detail {
namespace {

struct MacCtxFree {
    void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

}  // namespace

HmacKey::HmacKey(const char* digest, std::string_view key) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) throw std::runtime_error("OpenSSL: HMAC is not available");
    MacCtxPtr ctx(EVP_MAC_CTX_new(mac));
    EVP_MAC_free(mac);  // the context keeps its own reference
    if (!ctx) throw std::runtime_error("OpenSSL: cannot allocate an HMAC context");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1)
        throw std::runtime_error("OpenSSL: cannot key HMAC");
    size_ = EVP_MAC_CTX_get_mac_size(ctx.get());
    if (size_ == 0 || size_ > kMaxMacSize) throw std::runtime_error("OpenSSL: unexpected HMAC size");
    keyed_ = ctx.release();
}

HmacKey::~HmacKey() {
    for (auto* ctx : idle_) EVP_MAC_CTX_free(ctx);
    EVP_MAC_CTX_free(keyed_);
}

EVP_MAC_CTX* HmacKey::borrow() const {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto* ctx = idle_.back();
            idle_.pop_back();
            return ctx;
        }
    }
    return EVP_MAC_CTX_dup(keyed_);  // one per concurrent caller, kept afterwards
}

void HmacKey::give_back(EVP_MAC_CTX* ctx) const noexcept {
    // More idle contexts than this only after a burst of concurrency; those are freed.
    constexpr std::size_t kMaxIdle = 64;
    {
        std::lock_guard lock(mutex_);
        if (idle_.size() < kMaxIdle) {
            try {
                idle_.push_back(ctx);
                return;
            } catch (...) {
                // no memory to keep it: free it below
            }
        }
    }
    EVP_MAC_CTX_free(ctx);
}

void HmacKey::compute(std::string_view data, unsigned char* out) const {
    MacCtxPtr ctx(borrow());
    std::size_t written = 0;
    // A NULL key re-initialises the context with the key it already holds (the ipad/opad
    // state), which is cheaper than duplicating the keyed template per computation.
    if (!ctx || EVP_MAC_init(ctx.get(), nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(ctx.get(), out, &written, size_) != 1 || written != size_)
        throw std::runtime_error("OpenSSL: HMAC computation failed");
    give_back(ctx.release());
}

bool HmacKey::verify(std::string_view data, std::string_view mac) const {
    if (mac.size() != size_) return false;
    unsigned char expected[kMaxMacSize];
    compute(data, expected);
    return CRYPTO_memcmp(expected, mac.data(), size_) == 0;
}

}  // namespace fauth::detail
