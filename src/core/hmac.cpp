// HMAC (RFC 2104) over OpenSSL's low-level SHA-2 functions, with the key's inner and outer hash
// states computed once and copied per MAC.
//
// OpenSSL 3.0 deprecates SHA256_Init and its kin in favour of EVP, but EVP offers no way to copy
// a digest's state without allocating: EVP_MD_CTX_copy_ex and EVP_MAC_CTX_dup duplicate the
// provider's context on the heap, and EVP_MAC_init/EVP_MAC_final (a keyed context reused)
// allocate about five times per MAC. The low-level contexts are plain structs, copied onto the
// stack, and run the same block functions (SHA-NI, AVX2) that the EVP provider calls. So the
// deprecated declarations are enabled here, and only here: this file is kept out of the unity
// build (src/CMakeLists.txt) so that the define below reaches no other source.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "fauth/core/internal/hmac.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace fauth::detail {
namespace {

static_assert(sizeof(SHA256_CTX) <= HmacKey::kStateBytes && alignof(SHA256_CTX) <= 8);
static_assert(sizeof(SHA512_CTX) <= HmacKey::kStateBytes && alignof(SHA512_CTX) <= 8);

// One SHA-2 function: its context, block and output sizes, and its three calls. The calls cannot
// fail on a context that Init set up (OpenSSL's implementations return 1 unconditionally).
struct Sha256 {
    using Ctx = SHA256_CTX;
    static constexpr std::size_t block = SHA256_CBLOCK, size = SHA256_DIGEST_LENGTH;
    static void init(Ctx* c) noexcept { SHA256_Init(c); }
    static void update(Ctx* c, const void* p, std::size_t n) noexcept { SHA256_Update(c, p, n); }
    static void final(unsigned char* out, Ctx* c) noexcept { SHA256_Final(out, c); }
};
struct Sha384 {
    using Ctx = SHA512_CTX;
    static constexpr std::size_t block = SHA512_CBLOCK, size = SHA384_DIGEST_LENGTH;
    static void init(Ctx* c) noexcept { SHA384_Init(c); }
    static void update(Ctx* c, const void* p, std::size_t n) noexcept { SHA384_Update(c, p, n); }
    static void final(unsigned char* out, Ctx* c) noexcept { SHA384_Final(out, c); }
};
struct Sha512 {
    using Ctx = SHA512_CTX;
    static constexpr std::size_t block = SHA512_CBLOCK, size = SHA512_DIGEST_LENGTH;
    static void init(Ctx* c) noexcept { SHA512_Init(c); }
    static void update(Ctx* c, const void* p, std::size_t n) noexcept { SHA512_Update(c, p, n); }
    static void final(unsigned char* out, Ctx* c) noexcept { SHA512_Final(out, c); }
};

// RFC 2104's key schedule: the key (hashed first when longer than a block) zero-padded to a
// block, XORed with ipad (0x36) and with opad (0x5c), one block absorbed into each state.
template <class H>
void key_states(std::string_view key, unsigned char* inner, unsigned char* outer) noexcept {
    // Value-initialised, and reset before each Init: SHA384_Init and SHA512_Init leave the block
    // buffer as it was, so the long key's last block would otherwise stay in the stored states.
    typename H::Ctx ctx{};
    unsigned char block[H::block] = {};
    if (key.size() > H::block) {
        H::init(&ctx);
        H::update(&ctx, key.data(), key.size());
        H::final(block, &ctx);
    } else if (!key.empty()) {
        std::memcpy(block, key.data(), key.size());
    }
    unsigned char pad[H::block];
    for (std::size_t i = 0; i < H::block; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ 0x36);
    ctx = {};
    H::init(&ctx);
    H::update(&ctx, pad, sizeof pad);
    std::memcpy(inner, &ctx, sizeof ctx);
    for (std::size_t i = 0; i < H::block; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ 0x5c);
    ctx = {};
    H::init(&ctx);
    H::update(&ctx, pad, sizeof pad);
    std::memcpy(outer, &ctx, sizeof ctx);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(&ctx, sizeof ctx);
}

// H(K ^ opad || H(K ^ ipad || data)), from copies of the two states. Afterwards the copies hold
// the finished digests and the last blocks hashed (message and inner digest), from which the
// key's states cannot be recovered (the compression function is one-way), so they are not wiped.
template <class H>
void hmac_with(const unsigned char* inner, const unsigned char* outer, std::string_view data, unsigned char* out) noexcept {
    typename H::Ctx ctx;
    std::memcpy(&ctx, inner, sizeof ctx);
    H::update(&ctx, data.data(), data.size());
    unsigned char digest[H::size];
    H::final(digest, &ctx);
    std::memcpy(&ctx, outer, sizeof ctx);
    H::update(&ctx, digest, sizeof digest);
    H::final(out, &ctx);
}

}  // namespace

HmacKey::HmacKey(const char* digest, std::string_view key) {
    const std::string_view name = digest == nullptr ? std::string_view() : std::string_view(digest);
    if (name == "SHA256") {
        digest_ = Digest::sha256;
        size_ = Sha256::size;
        key_states<Sha256>(key, inner_, outer_);
    } else if (name == "SHA384") {
        digest_ = Digest::sha384;
        size_ = Sha384::size;
        key_states<Sha384>(key, inner_, outer_);
    } else if (name == "SHA512") {
        digest_ = Digest::sha512;
        size_ = Sha512::size;
        key_states<Sha512>(key, inner_, outer_);
    } else {
        throw std::runtime_error("HMAC: unsupported digest " + std::string(name));
    }
}

HmacKey::~HmacKey() {
    OPENSSL_cleanse(inner_, sizeof inner_);
    OPENSSL_cleanse(outer_, sizeof outer_);
}

void HmacKey::compute(std::string_view data, unsigned char* out) const noexcept {
    switch (digest_) {
        case Digest::sha256: return hmac_with<Sha256>(inner_, outer_, data, out);
        case Digest::sha384: return hmac_with<Sha384>(inner_, outer_, data, out);
        case Digest::sha512: return hmac_with<Sha512>(inner_, outer_, data, out);
    }
}

bool HmacKey::verify(std::string_view data, std::string_view mac) const noexcept {
    if (mac.size() != size_) return false;
    unsigned char expected[kMaxMacSize];
    compute(data, expected);
    const bool same = CRYPTO_memcmp(expected, mac.data(), size_) == 0;
    OPENSSL_cleanse(expected, sizeof expected);  // the right MAC for the caller's data: a forgery
    return same;
}

}  // namespace fauth::detail
