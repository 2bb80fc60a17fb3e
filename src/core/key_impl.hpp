// key_impl.hpp — what a Key is inside: the base every key type derives from (HMAC in key.cpp,
// OpenSSL public-key types in pkey.cpp), and the OpenSSL key type those share with jwk.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "algorithm.hpp"
#include "fauth/core/keys.hpp"

namespace fauth::detail {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

/// What every key is: an algorithm, a kid, the JWS header it writes, and the means to sign and verify.
class KeyImpl {
public:
    KeyImpl(const JwsAlgorithm& alg, std::string kid);
    virtual ~KeyImpl() = default;
    const JwsAlgorithm& alg() const noexcept { return alg_; }
    const std::string& name() const noexcept { return name_; }
    const std::string& kid() const noexcept { return kid_; }
    /// The base64url of the protected header this key signs with: {"alg":…,"typ":"JWT"} and its
    /// kid when it has one, encoded once here (a token's header is compared to it, not parsed).
    const std::string& header_segment() const noexcept { return header_segment_; }
    virtual bool can_sign() const noexcept = 0;
    virtual nlohmann::json public_jwk() const = 0;
    virtual std::string sign(std::string_view input) const = 0;
    /// Appends '.' and the base64url signature of everything `token` holds so far.
    virtual void append_signature(std::string& token) const;
    virtual bool verify(std::string_view input, std::string_view signature) const = 0;

private:
    const JwsAlgorithm& alg_;
    std::string name_;
    std::string kid_;
    std::string header_segment_;
};

/// The JWS algorithm `name`, or ConfigError.
const JwsAlgorithm& algorithm_named(std::string_view name);
/// Throws ConfigError unless `key` has the type (and curve, and size) that `alg` requires.
void check_fits(const EVP_PKEY* key, const JwsAlgorithm& alg);
/// An RSA, EC or Ed25519 key (pkey.cpp); private keys sign, every one verifies.
std::shared_ptr<const KeyImpl> make_pkey(const JwsAlgorithm& alg, PkeyPtr key, bool is_private, std::string kid);
/// The private key of a key made by make_pkey as PKCS#8 PEM; std::logic_error for any other key.
std::string private_pem(const KeyImpl& key);
/// The public JWK of an OpenSSL key for `alg` (jwk.cpp): kty, use "sig", alg, kid and its parameters.
nlohmann::json public_jwk_of(const EVP_PKEY* key, const JwsAlgorithm& alg, const std::string& kid);

/// Writes the MAC of `input` under HMAC key `key` to `out` (kMaxMacSize bytes at most) and returns
/// its size, allocating nothing; std::logic_error for a key that is not an HMAC key.
std::size_t hmac_of(const Key& key, std::string_view input, unsigned char* out);

/// The inside of a Key, for the JWS code (jws.cpp) and the key types.
struct KeyAccess {
    static const KeyImpl& impl(const Key& key) noexcept { return *key.impl_; }
    static Key make(std::shared_ptr<const KeyImpl> impl) { return Key(std::move(impl)); }
};

}  // namespace fauth::detail
