// JSON Web Keys (RFC 7517/7518/8037): public keys read from and written as JWKs, and JWK Sets.
#include "fauth/core/keys.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <stdexcept>

#include "algorithm.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "key_impl.hpp"

namespace fauth {
namespace detail {
namespace {

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
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, alg.openssl_group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
        throw ConfigError("JWK does not describe a valid EC public key");
    return pkey_from_params("EC", bld.get());  // OpenSSL checks that the point is on the curve
}

// Throws ConfigError unless the JWK may verify signatures: its `use`, when present, is "sig", and
// its `key_ops`, when present, include "verify" (RFC 7517 sections 4.2 and 4.3).
void check_verifies(const nlohmann::json& jwk) {
    if (jwk.contains("use") && jwk["use"] != "sig") throw ConfigError("its use is not \"sig\"");
    const auto ops = jwk.find("key_ops");
    if (ops == jwk.end()) return;
    if (!ops->is_array()) throw ConfigError("its key_ops is not an array of strings");
    bool verify = false;
    for (const auto& op : *ops) {
        if (!op.is_string()) throw ConfigError("its key_ops is not an array of strings");
        verify = verify || op == "verify";
    }
    // The operations as JSON: quoted and escaped wherever they reach a message.
    if (!verify) throw ConfigError("its key_ops " + ops->dump() + " lack \"verify\"");
}

}  // namespace

nlohmann::json public_jwk_of(const EVP_PKEY* key, const JwsAlgorithm& alg, const std::string& kid) {
    nlohmann::json jwk{{"use", "sig"}, {"alg", alg.name}};
    if (!kid.empty()) jwk["kid"] = kid;
    switch (alg.family) {
        case KeyFamily::rsa:
        case KeyFamily::rsa_pss:
            jwk["kty"] = "RSA";
            jwk["n"] = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
            jwk["e"] = bn_param(key, OSSL_PKEY_PARAM_RSA_E);
            break;
        case KeyFamily::ecdsa:
            jwk["kty"] = "EC";
            jwk["crv"] = alg.curve;
            jwk["x"] = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, static_cast<int>(alg.component_bytes));
            jwk["y"] = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, static_cast<int>(alg.component_bytes));
            break;
        case KeyFamily::eddsa: {
            unsigned char raw[64];
            std::size_t size = sizeof raw;
            if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1)
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

}  // namespace detail

using detail::KeyFamily;

Key Key::from_jwk(const nlohmann::json& jwk, std::string_view algorithm) {
    if (!jwk.is_object()) throw ConfigError("a JWK is a JSON object");
    const auto kty = jwk.contains("kty") && jwk["kty"].is_string() ? jwk["kty"].get<std::string>() : "";
    if (kty == "oct") throw ConfigError("symmetric JWKs (kty oct) are refused: secrets are never fetched");
    if (jwk.contains("d")) throw ConfigError("private JWKs are refused: only public keys are loaded this way");
    detail::check_verifies(jwk);
    if (jwk.contains("alg") && !jwk["alg"].is_string()) throw ConfigError("a JWK's alg is a string");
    std::string name = jwk.contains("alg") ? jwk["alg"].get<std::string>() : std::string(algorithm);
    if (jwk.contains("crv") && !jwk["crv"].is_string()) throw ConfigError("a JWK's crv is a string");
    const auto crv = jwk.value("crv", std::string());
    if (name.empty()) {
        if (kty == "EC" && crv == "P-256")
            name = "ES256";
        else if (kty == "EC" && crv == "P-384")
            name = "ES384";
        else if (kty == "EC" && crv == "P-521")
            name = "ES512";
        else if (kty == "OKP" && crv == "Ed25519")
            name = "EdDSA";
        else
            throw ConfigError("JWK has no alg and none follows from its kty and crv");
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
            key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()),
                                                  x.size()));
            if (!key) throw ConfigError("JWK does not describe a valid Ed25519 public key");
            break;
        }
        case KeyFamily::hmac: throw ConfigError("HMAC algorithms are refused in a JWK");
    }
    detail::check_fits(key.get(), alg);
    // Only an `alg` member pins the algorithm (RFC 8725 section 3.1); one inferred from the curve
    // or given by the caller is subject to the verifier's list of algorithms.
    return Key(detail::make_pkey(alg, std::move(key), false, kid, jwk.contains("alg")));
}

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
            detail::check_verifies(jwk);
            const auto kty = jwk.contains("kty") && jwk["kty"].is_string() ? jwk["kty"].get<std::string>() : "";
            // Strings from the set are quoted and escaped (as JSON strings) wherever they reach a message.
            if (kty != "RSA" && kty != "EC" && kty != "OKP")
                throw ConfigError("kty " + nlohmann::json(kty).dump() + " is not supported");
            std::vector<Key> loaded;
            if (kty == "RSA" && !jwk.contains("alg")) {
                if (rsa_algorithms.empty()) throw ConfigError("an RSA key without alg, and no RSA algorithm is allowed");
                for (const auto& algorithm : rsa_algorithms) loaded.push_back(Key::from_jwk(jwk, algorithm));
            } else if (kty == "OKP" && !jwk.contains("alg") && jwk.value("crv", nlohmann::json()) == "Ed25519") {
                // Both names of Ed25519 signatures: EdDSA (RFC 8037) and Ed25519 (RFC 9864).
                for (const auto* algorithm : {"EdDSA", "Ed25519"}) loaded.push_back(Key::from_jwk(jwk, algorithm));
            } else {
                if (jwk.contains("alg") && !jwk["alg"].is_string())
                    throw ConfigError(std::string("alg is a JSON ") + jwk["alg"].type_name() + ", not a string");
                if (jwk.contains("alg") && detail::find_algorithm(jwk["alg"].get<std::string>()) == nullptr)
                    throw ConfigError("alg " + nlohmann::json(jwk["alg"]).dump() + " is not supported");
                loaded.push_back(Key::from_jwk(jwk));
            }
            for (const auto& key : loaded)
                if (!key.kid().empty() && set.find(key.kid(), key.algorithm()) != nullptr)
                    throw ConfigError("its kid is repeated");
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

}  // namespace fauth
