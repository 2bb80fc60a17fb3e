// Shared by the signature benchmarks (RS256, PS256, ES256, EdDSA): per algorithm one generated key,
// its public half as PEM (for the peers) and as an EVP_PKEY (for the OpenSSL floor), and two
// tokens: one in fauth's own shape, and one in Keycloak's access-token shape for a resource server
// (`iss`, `aud`, `scope`, `realm_access.roles`, `typ: Bearer`, no `jti` or `token_type`), with the
// codecs that verify each. Every verifier is given the same token and the same public key.
#pragma once

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/oidc/issuer.hpp"
#include "fauth/core/keys.hpp"

namespace fauth::bench {

inline const std::string kIdp = "https://idp.example.com/realms/main";

struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

struct SignatureCase {
    std::string algorithm;
    fauth::Key key;
    std::string public_pem;
    std::unique_ptr<EVP_PKEY, PkeyDeleter> public_key;
    std::unique_ptr<fauth::TokenCodec> own;       // signs and verifies with the private key
    std::unique_ptr<fauth::TokenCodec> resource;  // verifies the issuer's tokens with its public key
    std::string own_token;
    std::string external_token;

    // The external token's signing input and its signature as OpenSSL takes it (DER for ECDSA).
    std::string signing_input() const { return external_token.substr(0, external_token.rfind('.')); }
    std::string openssl_signature() const {
        std::string jose;
        if (!fauth::base64url_decode(std::string_view(external_token).substr(external_token.rfind('.') + 1), jose))
            throw std::runtime_error("bench: bad signature encoding");
        if (algorithm != "ES256") return jose;
        ECDSA_SIG* sig = ECDSA_SIG_new();
        const auto* raw = reinterpret_cast<const unsigned char*>(jose.data());
        ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
        unsigned char* der = nullptr;
        const int size = i2d_ECDSA_SIG(sig, &der);
        std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
        OPENSSL_free(der);
        ECDSA_SIG_free(sig);
        return out;
    }
};

inline SignatureCase make_signature_case(const std::string& algorithm) {
    SignatureCase c{.algorithm = algorithm, .key = fauth::Key::generate(algorithm, "k1")};
    // The public half, through PEM (what the peers take).
    const std::string private_pem = c.key.private_pem();
    BIO* in = BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size()));
    EVP_PKEY* full = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
    BIO_free(in);
    BIO* out = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(out, full);
    EVP_PKEY_free(full);
    char* data = nullptr;
    const long size = BIO_get_mem_data(out, &data);
    c.public_pem.assign(data, static_cast<std::size_t>(size));
    BIO_free(out);
    BIO* pub = BIO_new_mem_buf(c.public_pem.data(), static_cast<int>(c.public_pem.size()));
    c.public_key.reset(PEM_read_bio_PUBKEY(pub, nullptr, nullptr, nullptr));
    BIO_free(pub);
    if (!c.public_key) throw std::runtime_error("bench: cannot read back the public key");

    const auto clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(kIat)); };
    fauth::TokenConfig own;
    fauth::KeySet keys;
    keys.add(c.key).sign_with("k1");
    own.keys = std::make_shared<fauth::KeyRing>(std::move(keys));
    own.clock = clock;
    own.access_token_ttl = std::chrono::seconds(kExp - kIat);
    c.own = std::make_unique<fauth::TokenCodec>(own);
    auto p = c.own->make_payload(fauth::TokenType::access, "user-123", {"read", "write"});
    p.jti = "0123456789abcdef0123456789abcdef";
    c.own_token = c.own->sign(p);

    fauth::KeySet published;
    published.add(fauth::Key::from_jwk(c.key.public_jwk()));
    auto issuer = fauth::TrustedIssuer::keycloak(kIdp, "notes-api", std::make_shared<fauth::KeyRing>(std::move(published)));
    issuer.algorithms = {algorithm};
    fauth::TokenConfig resource;
    resource.issuers = {issuer};
    resource.clock = clock;
    c.resource = std::make_unique<fauth::TokenCodec>(resource);
    const nlohmann::json header{{"alg", algorithm}, {"typ", "JWT"}, {"kid", "k1"}};
    const nlohmann::json claims{{"iss", kIdp},        {"aud", "notes-api"},    {"sub", "user-123"},
                                {"iat", kIat},        {"exp", kExp},           {"typ", "Bearer"},
                                {"azp", "notes-web"}, {"scope", "read write"}, {"realm_access", {{"roles", {"admin"}}}}};
    const std::string input = fauth::base64url_encode(header.dump()) + "." + fauth::base64url_encode(claims.dump());
    c.external_token = input + "." + fauth::base64url_encode(c.key.sign(input));
    return c;
}

// The case for `algorithm`, made on first use (the benchmarks run on one thread).
inline const SignatureCase& signature_case(const std::string& algorithm) {
    static std::map<std::string, SignatureCase> cases;
    auto it = cases.find(algorithm);
    if (it == cases.end()) it = cases.emplace(algorithm, make_signature_case(algorithm)).first;
    return it->second;
}

}  // namespace fauth::bench
