#include "fauth/core/keys.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "algorithm.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/hmac.hpp"

namespace fauth {
namespace detail {
namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct BnFree {
    void operator()(BIGNUM* b) const noexcept { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

std::string b64(const unsigned char* data, std::size_t size) {
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(data), size));
}

// A big-endian BIGNUM parameter of `key`, base64url-encoded, left-padded to `width` bytes if given.
std::string bn_param(const EVP_PKEY* key, const char* name, int width = 0) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) throw std::runtime_error("OpenSSL: cannot read key parameter");
    BnPtr bn(raw);
    const int size = width > 0 ? width : BN_num_bytes(bn.get());
    std::string out(static_cast<std::size_t>(size), '\0');
    if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), size) != size)
        throw std::runtime_error("OpenSSL: key parameter too large");
    return base64url_encode(out);
}

}  // namespace

/// What every key is: an algorithm, a kid, and the means to sign and verify.
class KeyImpl {
public:
    KeyImpl(const JwsAlgorithm& alg, std::string kid) : alg_(alg), name_(alg.name), kid_(std::move(kid)) {}
    virtual ~KeyImpl() = default;
    const JwsAlgorithm& alg() const noexcept { return alg_; }
    const std::string& name() const noexcept { return name_; }
    const std::string& kid() const noexcept { return kid_; }
    virtual bool can_sign() const noexcept = 0;
    virtual nlohmann::json public_jwk() const = 0;
    virtual std::string sign(std::string_view input) const = 0;
    virtual bool verify(std::string_view input, std::string_view signature) const = 0;

private:
    const JwsAlgorithm& alg_;
    std::string name_;
    std::string kid_;
};

namespace {

class HmacKeyImpl final : public KeyImpl {
public:
    HmacKeyImpl(const JwsAlgorithm& alg, std::string_view secret, std::string kid)
        : KeyImpl(alg, std::move(kid)), mac_(alg.digest, secret) {}
    bool can_sign() const noexcept override { return true; }
    nlohmann::json public_jwk() const override { throw std::logic_error("fauth: an HMAC key has no public part"); }
    std::string sign(std::string_view input) const override {
        unsigned char out[kMaxMacSize];
        mac_.compute(input, out);
        return std::string(reinterpret_cast<const char*>(out), mac_.size());
    }
    bool verify(std::string_view input, std::string_view signature) const override { return mac_.verify(input, signature); }

private:
    HmacKey mac_;
};

class PkeyImpl final : public KeyImpl {
public:
    PkeyImpl(const JwsAlgorithm& alg, PkeyPtr key, bool is_private, std::string kid)
        : KeyImpl(alg, std::move(kid)), key_(std::move(key)), private_(is_private) {
        // Setting up a verification (fetching the algorithm, checking the key, the padding) is
        // about 3 us of an RS256 verify's 19: done once here, each verify copies the result.
        if (!verifier_ || !start_verifying(verifier_.get()))
            throw ConfigError("OpenSSL cannot verify " + std::string(name()) + " signatures with key " + nlohmann::json(this->kid()).dump());
    }
    bool can_sign() const noexcept override { return private_; }

    nlohmann::json public_jwk() const override {
        nlohmann::json jwk{{"use", "sig"}, {"alg", name()}};
        if (!kid().empty()) jwk["kid"] = kid();
        switch (alg().family) {
            case KeyFamily::rsa:
            case KeyFamily::rsa_pss:
                jwk["kty"] = "RSA";
                jwk["n"] = bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N);
                jwk["e"] = bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_E);
                break;
            case KeyFamily::ecdsa:
                jwk["kty"] = "EC";
                jwk["crv"] = alg().curve;
                jwk["x"] = bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, static_cast<int>(alg().component_bytes));
                jwk["y"] = bn_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, static_cast<int>(alg().component_bytes));
                break;
            case KeyFamily::eddsa: {
                unsigned char raw[64];
                std::size_t size = sizeof raw;
                if (EVP_PKEY_get_raw_public_key(key_.get(), raw, &size) != 1)
                    throw std::runtime_error("OpenSSL: cannot read the Ed25519 public key");
                jwk["kty"] = "OKP";
                jwk["crv"] = "Ed25519";
                jwk["x"] = b64(raw, size);
                break;
            }
            case KeyFamily::hmac: break;
        }
        return jwk;
    }

    std::string private_pem() const {
        if (!private_) throw std::logic_error("fauth: key '" + kid() + "' is public");
        BIO* bio = BIO_new(BIO_s_mem());
        const bool ok = bio != nullptr && PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
        char* data = nullptr;
        const long size = ok ? BIO_get_mem_data(bio, &data) : 0;
        std::string pem = ok ? std::string(data, static_cast<std::size_t>(size)) : std::string();
        BIO_free(bio);
        if (!ok) throw std::runtime_error("OpenSSL: cannot write the key as PEM");
        return pem;
    }

    std::string sign(std::string_view input) const override {
        if (!private_) throw std::logic_error("fauth: key '" + kid() + "' is public and cannot sign");
        MdCtxPtr ctx(EVP_MD_CTX_new());
        EVP_PKEY_CTX* pctx = nullptr;
        if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pctx, alg().digest, nullptr, nullptr, key_.get(), nullptr) != 1 ||
            !set_padding(pctx))
            throw std::runtime_error("OpenSSL: cannot start signing");
        std::size_t size = 0;
        const auto* in = reinterpret_cast<const unsigned char*>(input.data());
        if (EVP_DigestSign(ctx.get(), nullptr, &size, in, input.size()) != 1) throw std::runtime_error("OpenSSL: signing failed");
        std::string signature(size, '\0');
        if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, in, input.size()) != 1)
            throw std::runtime_error("OpenSSL: signing failed");
        signature.resize(size);
        return alg().family == KeyFamily::ecdsa ? der_to_jose(signature) : signature;
    }

    bool verify(std::string_view input, std::string_view signature) const override {
        std::string der;
        if (alg().family == KeyFamily::ecdsa) {
            // JOSE signatures are exactly r||s; a DER signature (what OpenSSL writes) is refused.
            if (signature.size() != 2 * alg().component_bytes) return false;
            der = jose_to_der(signature);
            if (der.empty()) return false;
            signature = der;
        }
        // Copying only reads verifier_, so threads may copy it at once (a const use: openssl-threads(7)).
        MdCtxPtr ctx(EVP_MD_CTX_new());
        if (!ctx) return false;
        if (EVP_MD_CTX_copy_ex(ctx.get(), verifier_.get()) == 1) {
            EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);  // used once: no second copy at the end
        } else {
            ctx.reset(EVP_MD_CTX_new());  // OpenSSL 3.0.0 cannot copy an Ed25519 context: set up anew
            if (!ctx || !start_verifying(ctx.get())) return false;
        }
        return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    }

private:
    // Readies `ctx` to verify with key_ (digest and, for PS*, padding).
    bool start_verifying(EVP_MD_CTX* ctx) const {
        EVP_PKEY_CTX* pctx = nullptr;
        return EVP_DigestVerifyInit_ex(ctx, &pctx, alg().digest, nullptr, nullptr, key_.get(), nullptr) == 1 && set_padding(pctx);
    }

    bool set_padding(EVP_PKEY_CTX* pctx) const {
        if (alg().family != KeyFamily::rsa_pss) return true;
        // RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash.
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    }

    std::string der_to_jose(const std::string& der) const {
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
        if (sig == nullptr) throw std::runtime_error("OpenSSL: unreadable ECDSA signature");
        const int n = static_cast<int>(alg().component_bytes);
        std::string out(2 * alg().component_bytes, '\0');
        auto* o = reinterpret_cast<unsigned char*>(out.data());
        const bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), o, n) == n && BN_bn2binpad(ECDSA_SIG_get0_s(sig), o + n, n) == n;
        ECDSA_SIG_free(sig);
        if (!ok) throw std::runtime_error("OpenSSL: ECDSA signature too large");
        return out;
    }

    std::string jose_to_der(std::string_view jose) const {
        const int n = static_cast<int>(alg().component_bytes);
        const auto* in = reinterpret_cast<const unsigned char*>(jose.data());
        BIGNUM* r = BN_bin2bn(in, n, nullptr);
        BIGNUM* s = BN_bin2bn(in + n, n, nullptr);
        ECDSA_SIG* sig = ECDSA_SIG_new();
        if (r == nullptr || s == nullptr || sig == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
            BN_free(r);
            BN_free(s);
            ECDSA_SIG_free(sig);
            return {};
        }
        unsigned char* der = nullptr;
        const int size = i2d_ECDSA_SIG(sig, &der);
        ECDSA_SIG_free(sig);
        if (size <= 0) return {};
        std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
        OPENSSL_free(der);
        return out;
    }

    PkeyPtr key_;
    bool private_;
    MdCtxPtr verifier_{EVP_MD_CTX_new()};  // set up for verifying with key_, and only ever copied
};

// The JWS algorithm `name`, or ConfigError.
const JwsAlgorithm& algorithm_named(std::string_view name) {
    const auto* alg = find_algorithm(name);
    if (alg == nullptr)
        throw ConfigError("algorithm '" + std::string(name) + "' is not supported; use one of " +
                          std::string(supported_algorithm_names()));
    return *alg;
}

// Throws ConfigError unless `key` has the type (and curve, and size) that `alg` requires.
void check_fits(const EVP_PKEY* key, const JwsAlgorithm& alg) {
    const std::string what = std::string(alg.name);
    switch (alg.family) {
        case KeyFamily::rsa:
        case KeyFamily::rsa_pss:
            if (!EVP_PKEY_is_a(key, "RSA")) throw ConfigError(what + " needs an RSA key");
            if (EVP_PKEY_get_bits(key) < 2048) throw ConfigError(what + " needs an RSA key of at least 2048 bits");
            return;
        case KeyFamily::ecdsa: {
            if (!EVP_PKEY_is_a(key, "EC")) throw ConfigError(what + " needs an EC key");
            char group[64] = {};
            std::size_t size = 0;
            if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &size) != 1 ||
                std::string_view(group) != alg.openssl_group)
                throw ConfigError(what + " needs a key on curve " + std::string(alg.curve));
            return;
        }
        case KeyFamily::eddsa:
            if (!EVP_PKEY_is_a(key, "ED25519")) throw ConfigError(what + " needs an Ed25519 key");
            return;
        case KeyFamily::hmac: throw ConfigError(what + " is an HMAC algorithm: use Key::hmac with a secret");
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError("cannot read key file '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The bytes of a base64url JWK member, or ConfigError.
std::string jwk_bytes(const nlohmann::json& jwk, const char* name) {
    const auto it = jwk.find(name);
    std::string out;
    if (it == jwk.end() || !it->is_string() || !base64url_decode(it->get<std::string>(), out) || out.empty())
        throw ConfigError(std::string("JWK member '") + name + "' is missing or not base64url");
    return out;
}

PkeyPtr pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
    EVP_PKEY* key = nullptr;
    const bool ok = params != nullptr && ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
                    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    if (!ok) throw ConfigError(std::string("JWK does not describe a valid ") + type + " public key");
    return PkeyPtr(key);
}

struct ParamBldFree {
    void operator()(OSSL_PARAM_BLD* b) const noexcept { OSSL_PARAM_BLD_free(b); }
};

PkeyPtr rsa_from_jwk(const nlohmann::json& jwk) {
    const auto n = jwk_bytes(jwk, "n"), e = jwk_bytes(jwk, "e");
    BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
    BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
    // An even or tiny exponent is no RSA key anyone should verify with (e = 1 makes every
    // "signature" its own message); real ones are 65537, a few legacy keys 3.
    if (bn_e && (!BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2 || BN_num_bits(bn_e.get()) > 32))
        throw ConfigError("RSA JWK has an unusable exponent (an odd number from 3 to 2^32 is required)");
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
        throw ConfigError("JWK does not describe a valid RSA public key");
    return pkey_from_params("RSA", bld.get());
}

PkeyPtr ec_from_jwk(const nlohmann::json& jwk, const JwsAlgorithm& alg) {
    const auto x = jwk_bytes(jwk, "x"), y = jwk_bytes(jwk, "y");
    if (x.size() != alg.component_bytes || y.size() != alg.component_bytes)
        throw ConfigError("JWK coordinates do not fit curve " + std::string(alg.curve));
    std::string point = "\x04" + x + y;  // uncompressed SEC1 point
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, alg.openssl_group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
        throw ConfigError("JWK does not describe a valid EC public key");
    return pkey_from_params("EC", bld.get());  // OpenSSL checks that the point is on the curve
}

}  // namespace
}  // namespace detail

using detail::KeyFamily;

Key Key::hmac(std::string_view algorithm, std::string_view secret, std::string kid) {
    const auto& alg = detail::algorithm_named(algorithm);
    if (alg.family != KeyFamily::hmac)
        throw ConfigError(std::string(alg.name) + " is not an HMAC algorithm: an HMAC secret cannot be used with it");
    if (secret.size() < alg.min_key_bytes)
        throw ConfigError(std::string(alg.name) + " needs a secret of at least " + std::to_string(alg.min_key_bytes) + " bytes");
    return Key(std::make_shared<const detail::HmacKeyImpl>(alg, secret, std::move(kid)));
}

Key Key::from_pem(std::string_view algorithm, std::string_view pem, std::string kid) {
    const auto& alg = detail::algorithm_named(algorithm);
    if (alg.family == KeyFamily::hmac)
        throw ConfigError(std::string(alg.name) + " is an HMAC algorithm: a PEM key cannot be used as its secret");
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (bio == nullptr) throw std::runtime_error("OpenSSL: cannot allocate a BIO");
    detail::PkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
    bool is_private = static_cast<bool>(key);
    if (!key) {
        BIO_reset(bio);
        key.reset(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
    }
    BIO_free(bio);
    if (!key) throw ConfigError("no private or public key in the PEM text given for " + std::string(alg.name));
    detail::check_fits(key.get(), alg);
    return Key(std::make_shared<const detail::PkeyImpl>(alg, std::move(key), is_private, std::move(kid)));
}

Key Key::generate(std::string_view algorithm, std::string kid) {
    const auto& alg = detail::algorithm_named(algorithm);
    EVP_PKEY* raw = nullptr;
    switch (alg.family) {
        case KeyFamily::rsa:
        case KeyFamily::rsa_pss: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)); break;
        case KeyFamily::ecdsa: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", alg.openssl_group); break;
        case KeyFamily::eddsa: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
        case KeyFamily::hmac: throw ConfigError("generate an HMAC secret with `openssl rand -hex 32` and use Key::hmac");
    }
    detail::PkeyPtr key(raw);
    if (!key) throw std::runtime_error("OpenSSL: key generation failed");
    return Key(std::make_shared<const detail::PkeyImpl>(alg, std::move(key), true, std::move(kid)));
}

std::string Key::private_pem() const {
    const auto* pkey = dynamic_cast<const detail::PkeyImpl*>(impl_.get());
    if (pkey == nullptr) throw std::logic_error("fauth: an HMAC key has no PEM form");
    return pkey->private_pem();
}

Key Key::from_pem_file(std::string_view algorithm, const std::string& path, std::string kid) {
    return from_pem(algorithm, detail::read_file(path), std::move(kid));
}

Key Key::from_jwk(const nlohmann::json& jwk, std::string_view algorithm) {
    if (!jwk.is_object()) throw ConfigError("a JWK is a JSON object");
    const auto kty = jwk.contains("kty") && jwk["kty"].is_string() ? jwk["kty"].get<std::string>() : "";
    if (kty == "oct") throw ConfigError("symmetric JWKs (kty oct) are refused: secrets are never fetched");
    if (jwk.contains("d")) throw ConfigError("private JWKs are refused: only public keys are loaded this way");
    if (jwk.contains("alg") && !jwk["alg"].is_string()) throw ConfigError("a JWK's alg is a string");
    std::string name = jwk.contains("alg") ? jwk["alg"].get<std::string>() : std::string(algorithm);
    if (jwk.contains("crv") && !jwk["crv"].is_string()) throw ConfigError("a JWK's crv is a string");
    const auto crv = jwk.value("crv", std::string());
    if (name.empty()) {
        if (kty == "EC" && crv == "P-256") name = "ES256";
        else if (kty == "EC" && crv == "P-384") name = "ES384";
        else if (kty == "OKP" && crv == "Ed25519") name = "EdDSA";
        else throw ConfigError("JWK has no alg and none follows from its kty and crv");
    }
    const auto& alg = detail::algorithm_named(name);
    const std::string kid = jwk.contains("kid") && jwk["kid"].is_string() ? jwk["kid"].get<std::string>() : "";
    detail::PkeyPtr key;
    switch (alg.family) {
        case KeyFamily::rsa:
        case KeyFamily::rsa_pss:
            if (kty != "RSA") throw ConfigError(name + " needs a JWK of kty RSA");
            key = detail::rsa_from_jwk(jwk);
            break;
        case KeyFamily::ecdsa:
            if (kty != "EC" || crv != alg.curve) throw ConfigError(name + " needs a JWK of kty EC on " + std::string(alg.curve));
            key = detail::ec_from_jwk(jwk, alg);
            break;
        case KeyFamily::eddsa: {
            if (kty != "OKP" || crv != "Ed25519") throw ConfigError(name + " needs a JWK of kty OKP on Ed25519");
            const auto x = detail::jwk_bytes(jwk, "x");
            key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                  reinterpret_cast<const unsigned char*>(x.data()), x.size()));
            if (!key) throw ConfigError("JWK does not describe a valid Ed25519 public key");
            break;
        }
        case KeyFamily::hmac: throw ConfigError("HMAC algorithms are refused in a JWK");
    }
    detail::check_fits(key.get(), alg);
    return Key(std::make_shared<const detail::PkeyImpl>(alg, std::move(key), false, kid));
}

const std::string& Key::algorithm() const noexcept { return impl_->name(); }
const std::string& Key::kid() const noexcept { return impl_->kid(); }
bool Key::can_sign() const noexcept { return impl_->can_sign(); }
bool Key::is_symmetric() const noexcept { return impl_->alg().family == KeyFamily::hmac; }
nlohmann::json Key::public_jwk() const { return impl_->public_jwk(); }
std::string Key::sign(std::string_view input) const { return impl_->sign(input); }
bool Key::verify(std::string_view input, std::string_view signature) const noexcept {
    try {
        return impl_->verify(input, signature);
    } catch (...) {
        return false;
    }
}

KeySet& KeySet::add(Key key) {
    if (key.kid().empty()) throw ConfigError("every key in a KeySet needs a kid");
    if (const Key* same = find(key.kid())) {
        // One kid may name one public key for several algorithms (an RSA key published without
        // alg); anything else sharing a kid would make signing and removal ambiguous.
        auto material = [](const Key& k) {
            auto jwk = k.public_jwk();
            jwk.erase("alg");
            return jwk;
        };
        const bool same_public_key = !same->can_sign() && !key.can_sign() && !same->is_symmetric() && !key.is_symmetric() &&
                                     material(*same) == material(key);
        if (!same_public_key || find(key.kid(), key.algorithm()) != nullptr)
            throw ConfigError("KeySet already has a key with kid " + nlohmann::json(key.kid()).dump());
    }
    keys_.push_back(std::move(key));
    return *this;
}

KeySet& KeySet::remove(std::string_view kid) {
    if (kid == signing_kid_) throw ConfigError("key '" + std::string(kid) + "' signs: choose another signing key first");
    std::erase_if(keys_, [&](const Key& k) { return k.kid() == kid; });
    return *this;
}

KeySet& KeySet::sign_with(std::string_view kid) {
    const auto* key = find(kid);
    if (key == nullptr) throw ConfigError("KeySet has no key with kid '" + std::string(kid) + "'");
    if (!key->can_sign()) throw ConfigError("key '" + std::string(kid) + "' is public and cannot sign");
    signing_kid_ = kid;
    return *this;
}

const Key* KeySet::find(std::string_view kid) const noexcept {
    for (const auto& k : keys_)
        if (k.kid() == kid) return &k;
    return nullptr;
}

const Key* KeySet::find(std::string_view kid, std::string_view algorithm) const noexcept {
    for (const auto& k : keys_)
        if (k.kid() == kid && k.algorithm() == algorithm) return &k;
    return nullptr;
}

const Key* KeySet::signing_key() const noexcept { return signing_kid_.empty() ? nullptr : find(signing_kid_); }

nlohmann::json KeySet::jwks() const {
    auto keys = nlohmann::json::array();
    for (const auto& k : keys_)
        if (!k.is_symmetric()) keys.push_back(k.public_jwk());
    return nlohmann::json{{"keys", std::move(keys)}};
}

KeySet KeySet::from_jwks(const nlohmann::json& jwks, const std::vector<std::string>& rsa_algorithms,
                         std::vector<std::string>* skipped) {
    if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array())
        throw ConfigError("a JWK Set is an object with a \"keys\" array");
    KeySet set;
    const auto& keys = jwks["keys"];
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto& jwk = keys[i];
        try {
            if (!jwk.is_object()) throw ConfigError("not a JSON object");
            if (jwk.contains("use") && jwk["use"] != "sig") throw ConfigError("its use is not \"sig\"");
            const auto kty = jwk.contains("kty") && jwk["kty"].is_string() ? jwk["kty"].get<std::string>() : "";
            // Strings from the set are quoted and escaped (as JSON strings) wherever they reach a message.
            if (kty != "RSA" && kty != "EC" && kty != "OKP") throw ConfigError("kty " + nlohmann::json(kty).dump() + " is not supported");
            std::vector<Key> loaded;
            if (kty == "RSA" && !jwk.contains("alg")) {
                if (rsa_algorithms.empty()) throw ConfigError("an RSA key without alg, and no RSA algorithm is allowed");
                for (const auto& algorithm : rsa_algorithms) loaded.push_back(Key::from_jwk(jwk, algorithm));
            } else {
                if (jwk.contains("alg") && !jwk["alg"].is_string())
                    throw ConfigError(std::string("alg is a JSON ") + jwk["alg"].type_name() + ", not a string");
                if (jwk.contains("alg") && detail::find_algorithm(jwk["alg"].get<std::string>()) == nullptr)
                    throw ConfigError("alg " + nlohmann::json(jwk["alg"]).dump() + " is not supported");
                loaded.push_back(Key::from_jwk(jwk));
            }
            for (const auto& key : loaded)
                if (key.kid().empty() || set.find(key.kid(), key.algorithm()) != nullptr)
                    throw ConfigError(key.kid().empty() ? "it has no kid" : "its kid is repeated");
            for (auto& key : loaded) set.add(std::move(key));
        } catch (const ConfigError& e) {
            if (skipped == nullptr) continue;
            const bool named = jwk.is_object() && jwk.contains("kid") && jwk["kid"].is_string();
            // The kid as a JSON string: quoted and escaped, so that no kid can forge a log line.
            skipped->push_back("key " + (named ? jwk["kid"].dump() : "#" + std::to_string(i)) + " skipped: " + e.what());
        }
    }
    return set;
}

KeyRing::KeyRing(KeySet keys) : keys_(std::make_shared<const KeySet>(std::move(keys))) {}

std::shared_ptr<const KeySet> KeyRing::current() const {
    std::lock_guard lock(mutex_);
    return keys_;
}

void KeyRing::replace(KeySet keys) {
    auto next = std::make_shared<const KeySet>(std::move(keys));
    std::lock_guard lock(mutex_);
    keys_ = std::move(next);
}

void KeyRing::refresh_for(std::string, std::function<void(bool)> done) { done(false); }

}  // namespace fauth
