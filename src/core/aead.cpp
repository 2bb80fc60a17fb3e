#include "fauth/core/internal/aead.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "fauth/core/base64url.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "fauth/core/internal/random.hpp"

namespace fauth {
namespace {

constexpr std::size_t kIvBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct CipherFree {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

}  // namespace

AeadKey aead_key(std::string_view secret, std::string_view label) {
    const detail::HmacKey hmac("SHA256", secret);
    AeadKey key{};
    hmac.compute(label, key.data());
    return key;
}

std::string aead_seal(const AeadKey& key, std::string_view aad, std::string_view plain) {
    std::string out(kIvBytes + plain.size() + kTagBytes, '\0');
    auto* bytes = reinterpret_cast<unsigned char*>(out.data());
    const auto iv = random_bytes(kIvBytes);
    std::copy(iv.begin(), iv.end(), out.begin());
    const Cipher ctx(EVP_CIPHER_CTX_new());
    int n = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), bytes) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                          static_cast<int>(aad.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), bytes + kIvBytes, &n, reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), bytes + kIvBytes + n, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), bytes + kIvBytes + plain.size()) != 1)
        throw std::runtime_error("fauth: OpenSSL cannot encrypt");
    return base64url_encode(out);
}

std::optional<std::string> aead_open(const AeadKey& key, std::string_view aad, std::string_view sealed, std::size_t max_sealed) {
    if (sealed.size() > max_sealed) return std::nullopt;
    std::string raw;
    if (!base64url_decode(sealed, raw) || raw.size() < kIvBytes + kTagBytes) return std::nullopt;
    const auto size = raw.size() - kIvBytes - kTagBytes;
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
    std::string text(size, '\0');
    std::array<unsigned char, kTagBytes> tag{};
    std::copy(bytes + kIvBytes + size, bytes + raw.size(), tag.begin());
    const Cipher ctx(EVP_CIPHER_CTX_new());
    int n = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), bytes) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                          static_cast<int>(aad.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(text.data()), &n, bytes + kIvBytes,
                          static_cast<int>(size)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(text.data()) + n, &n) != 1)
        return std::nullopt;
    return text;
}

}  // namespace fauth
