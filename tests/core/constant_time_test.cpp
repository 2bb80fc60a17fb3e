// Secrets are compared in constant time by construction: fauth compares MACs and password hashes
// with OpenSSL's CRYPTO_memcmp, never memcmp or ==. This binary interposes CRYPTO_memcmp (its
// definition wins over libcrypto's) to count the calls and check what is compared.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>

#include "fauth/core/api_key.hpp"
#include "fauth/core/password.hpp"
#include "fauth/core/token.hpp"

namespace {
std::atomic<int> calls{0};
std::atomic<std::size_t> last_length{0};
}  // namespace

extern "C" int CRYPTO_memcmp(const void* a, const void* b, std::size_t len) {
    ++calls;
    last_length = len;
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    unsigned char diff = 0;
    for (std::size_t i = 0; i < len; ++i) diff = static_cast<unsigned char>(diff | (x[i] ^ y[i]));
    return diff;
}

TEST(ConstantTime, TokenSignaturesAreComparedWithCryptoMemcmp) {
    fauth::TokenConfig c;
    c.secret_key = std::string(32, 'k');
    fauth::TokenCodec codec(c);
    const auto token = codec.issue(fauth::TokenType::access, "u");
    calls = 0;
    EXPECT_NO_THROW(codec.verify(token, fauth::TokenType::access));
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(last_length.load(), 32u) << "the whole HS256 MAC";
    auto forged = token;
    forged.back() = forged.back() == 'A' ? 'Q' : 'A';
    calls = 0;
    EXPECT_THROW(codec.verify(forged, fauth::TokenType::access), fauth::InvalidToken);
    EXPECT_EQ(calls.load(), 1) << "a wrong signature is found by the same comparison";
}

TEST(ConstantTime, PasswordHashesAreComparedWithCryptoMemcmp) {
    const auto hash = fauth::hash_password("pw", 4);
    calls = 0;
    EXPECT_TRUE(fauth::verify_password("pw", hash));
    EXPECT_FALSE(fauth::verify_password("px", hash));
    EXPECT_EQ(calls.load(), 2);
    EXPECT_EQ(last_length.load(), 60u) << "the whole bcrypt string";
}

TEST(ConstantTime, ApiKeyHashesAreComparedWithCryptoMemcmp) {
    const auto made = fauth::generate_api_key("fauth");
    calls = 0;
    EXPECT_TRUE(fauth::api_key_matches(made.key, made.hash));
    EXPECT_FALSE(fauth::api_key_matches(fauth::generate_api_key("fauth").key, made.hash));
    EXPECT_EQ(calls.load(), 2);
    EXPECT_EQ(last_length.load(), 64u) << "the whole SHA-256, hex";
}
