// Test support: a software WebAuthn authenticator and the browser around it. It makes fresh keys
// with OpenSSL (ES256, EdDSA, RS256) and writes what navigator.credentials.create() and .get()
// hand a relying party: clientDataJSON as a browser writes it, authenticator data, attestation
// objects ("none", "packed" self attestation, or anything a test asks for) and assertion
// signatures. Its CBOR encoder is its own (a few lines, definite lengths, CTAP2 canonical order
// when the caller gives members in that order), independent of the libcbor decoder under test.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/auth/webauthn.hpp"
#include "fauth/core/base64url.hpp"

namespace fauth::test {

/// A minimal CBOR encoder (RFC 8949, definite lengths only).
namespace cbor {

/// The head of a data item: major type and argument, in the shortest form.
inline std::string head(unsigned major, std::uint64_t value) {
    std::string out;
    const auto first = static_cast<char>(major << 5);
    if (value < 24) {
        out += static_cast<char>(first | static_cast<char>(value));
        return out;
    }
    const int width = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffffULL ? 4 : 8;
    out += static_cast<char>(first | static_cast<char>(width == 1 ? 24 : width == 2 ? 25 : width == 4 ? 26 : 27));
    for (int i = width - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}
/// An integer.
inline std::string integer(std::int64_t value) {
    return value >= 0 ? head(0, static_cast<std::uint64_t>(value)) : head(1, static_cast<std::uint64_t>(-1 - value));
}
/// A byte string.
inline std::string bytes(std::string_view value) { return head(2, value.size()) + std::string(value); }
/// A text string.
inline std::string text(std::string_view value) { return head(3, value.size()) + std::string(value); }
/// An array of encoded items.
inline std::string array(const std::vector<std::string>& items) {
    std::string out = head(4, items.size());
    for (const auto& item : items) out += item;
    return out;
}
/// A map of encoded keys and values, in the order given.
inline std::string map(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string out = head(5, entries.size());
    for (const auto& [key, value] : entries) out += key + value;
    return out;
}

}  // namespace cbor

/// SHA-256 of `data`, with OpenSSL directly.
inline std::string soft_sha256(std::string_view data) {
    unsigned char digest[32];
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return std::string(reinterpret_cast<const char*>(digest), size);
}

/// A software authenticator holding one credential.
class SoftAuthenticator {
public:
    // Authenticator data flags.
    static constexpr std::uint8_t kUP = 0x01, kUV = 0x04, kBE = 0x08, kBS = 0x10, kAT = 0x40, kED = 0x80;

    /// A new credential of `algorithm` (RSA keys of `rsa_bits`) with a random 16-byte id.
    explicit SoftAuthenticator(webauthn::CoseAlgorithm algorithm, int rsa_bits = 2048) : algorithm_(algorithm) {
        EVP_PKEY* raw = nullptr;
        switch (algorithm) {
            case webauthn::CoseAlgorithm::es256: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
            case webauthn::CoseAlgorithm::eddsa: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
            case webauthn::CoseAlgorithm::rs256:
                raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits));
                break;
        }
        if (raw == nullptr) throw std::runtime_error("key generation failed");
        key_.reset(raw, EVP_PKEY_free);
        credential_id_ = random(16);
        aaguid_ = random(16);
    }

    /// The COSE algorithm of the credential.
    webauthn::CoseAlgorithm algorithm() const { return algorithm_; }
    /// The credential id (raw bytes).
    const std::string& credential_id() const { return credential_id_; }
    /// Replaces the credential id.
    void set_credential_id(std::string id) { credential_id_ = std::move(id); }
    /// The authenticator's AAGUID (16 bytes).
    const std::string& aaguid() const { return aaguid_; }
    /// The signature counter: the last count written (0 until an assertion).
    std::uint32_t counter() const { return counter_; }

    /// EC2 x and y (32 bytes each), Ed25519's x (32 bytes), or RSA's n and e.
    std::pair<std::string, std::string> public_parameters() const {
        switch (algorithm_) {
            case webauthn::CoseAlgorithm::es256:
                return {bn_param(OSSL_PKEY_PARAM_EC_PUB_X, 32), bn_param(OSSL_PKEY_PARAM_EC_PUB_Y, 32)};
            case webauthn::CoseAlgorithm::eddsa: {
                unsigned char x[32];
                std::size_t size = sizeof x;
                if (EVP_PKEY_get_raw_public_key(key_.get(), x, &size) != 1) throw std::runtime_error("no Ed25519 key");
                return {std::string(reinterpret_cast<const char*>(x), size), {}};
            }
            case webauthn::CoseAlgorithm::rs256: return {bn_param(OSSL_PKEY_PARAM_RSA_N), bn_param(OSSL_PKEY_PARAM_RSA_E)};
        }
        return {};
    }

    /// The credential's public key as a COSE_Key, labelled with `alg` (its own by default).
    std::string cose_key(std::optional<std::int64_t> alg = std::nullopt) const {
        const auto [a, b] = public_parameters();
        const auto label = cbor::integer(alg.value_or(static_cast<std::int64_t>(algorithm_)));
        switch (algorithm_) {
            case webauthn::CoseAlgorithm::es256: return cose_ec2(a, b, label);
            case webauthn::CoseAlgorithm::eddsa:
                return cbor::map({{cbor::integer(1), cbor::integer(1)},
                                  {cbor::integer(3), label},
                                  {cbor::integer(-1), cbor::integer(6)},
                                  {cbor::integer(-2), cbor::bytes(a)}});
            case webauthn::CoseAlgorithm::rs256:
                return cbor::map({{cbor::integer(1), cbor::integer(3)},
                                  {cbor::integer(3), label},
                                  {cbor::integer(-1), cbor::bytes(a)},
                                  {cbor::integer(-2), cbor::bytes(b)}});
        }
        return {};
    }

    /// An EC2 P-256 COSE_Key with coordinates `x` and `y` and the encoded algorithm `alg`.
    static std::string cose_ec2(std::string_view x, std::string_view y, const std::string& alg = cbor::integer(-7)) {
        return cbor::map({{cbor::integer(1), cbor::integer(2)},
                          {cbor::integer(3), alg},
                          {cbor::integer(-1), cbor::integer(1)},
                          {cbor::integer(-2), cbor::bytes(x)},
                          {cbor::integer(-3), cbor::bytes(y)}});
    }

    /// The credential's signature of `data` as WebAuthn carries it: DER ECDSA, raw Ed25519,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    std::string sign(std::string_view data) const {
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        const EVP_MD* md = algorithm_ == webauthn::CoseAlgorithm::eddsa ? nullptr : EVP_sha256();
        std::size_t size = 0;
        const auto* in = reinterpret_cast<const unsigned char*>(data.data());
        if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1 ||
            EVP_DigestSign(ctx.get(), nullptr, &size, in, data.size()) != 1)
            throw std::runtime_error("cannot sign");
        std::string out(size, '\0');
        if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size, in, data.size()) != 1)
            throw std::runtime_error("cannot sign");
        out.resize(size);
        return out;
    }

    /// clientDataJSON as Chrome writes it: type, challenge (base64url of the raw bytes), origin,
    /// crossOrigin (left out when nothing).
    static std::string client_data_json(std::string_view type, std::string_view challenge, std::string_view origin,
                                        std::optional<bool> cross_origin = false) {
        std::string out = "{\"type\":" + nlohmann::json(std::string(type)).dump() + ",\"challenge\":\"" +
                          base64url_encode(challenge) + "\",\"origin\":" + nlohmann::json(std::string(origin)).dump();
        if (cross_origin) out += std::string(",\"crossOrigin\":") + (*cross_origin ? "true" : "false");
        return out + "}";
    }

    /// Authenticator data: SHA-256(rp_id), flags, count, then `attested` and `extensions` as given.
    static std::string authenticator_data(std::string_view rp_id, std::uint8_t flags, std::uint32_t count,
                                          std::string_view attested = {}, std::string_view extensions = {}) {
        std::string out = soft_sha256(rp_id);
        out += static_cast<char>(flags);
        for (int i = 3; i >= 0; --i) out += static_cast<char>((count >> (8 * i)) & 0xff);
        return out + std::string(attested) + std::string(extensions);
    }

    /// Attested credential data: AAGUID, credential id length and id, and `cose_key`.
    std::string attested_credential_data(std::string_view key) const {
        std::string out = aaguid_;
        out += static_cast<char>((credential_id_.size() >> 8) & 0xff);
        out += static_cast<char>(credential_id_.size() & 0xff);
        return out + credential_id_ + std::string(key);
    }

    /// How a registration response is made; the defaults make a valid one for example.com.
    struct RegistrationOptions {
        std::string rp_id = "example.com";
        std::string origin = "https://example.com";
        std::string type = "webauthn.create";
        std::optional<bool> cross_origin = false;
        std::uint8_t flags = kUP | kUV | kAT;  // kED is added when there are extensions
        std::uint32_t sign_count = 0;
        std::string fmt = "none";                     // "packed" signs self attestation
        std::optional<std::int64_t> attestation_alg;  // packed: the statement's alg (the key's by default)
        bool x5c = false;                             // packed: add a certificate chain
        std::optional<std::string> cose_key;          // replaces the credential's key
        std::string extensions;                       // encoded CBOR, after the attested data
        std::string trailing;                         // bytes after the authenticator data
        std::optional<std::string> statement;         // replaces the whole attStmt (encoded CBOR)
        std::optional<std::string> client_data_json;  // replaces clientDataJSON (before signing)
    };

    /// What navigator.credentials.create() returns (the parts a relying party checks).
    struct Registration {
        std::string client_data_json;
        std::string attestation_object;
        std::string authenticator_data;
    };

    /// A registration response for `challenge` (raw bytes).
    Registration register_credential(std::string_view challenge) const {
        return register_credential(challenge, RegistrationOptions());
    }
    /// A registration response for `challenge` (raw bytes), made as `o` says.
    Registration register_credential(std::string_view challenge, const RegistrationOptions& o) const {
        Registration r;
        r.client_data_json = o.client_data_json.value_or(client_data_json(o.type, challenge, o.origin, o.cross_origin));
        const std::uint8_t flags = o.extensions.empty() ? o.flags : static_cast<std::uint8_t>(o.flags | kED);
        r.authenticator_data = authenticator_data(o.rp_id, flags, o.sign_count,
                                                  attested_credential_data(o.cose_key.value_or(cose_key())), o.extensions) +
                               o.trailing;
        std::string statement;
        if (o.statement) {
            statement = *o.statement;
        } else if (o.fmt == "packed") {
            const auto sig = sign(r.authenticator_data + soft_sha256(r.client_data_json));
            std::vector<std::pair<std::string, std::string>> entries =
                {{cbor::text("alg"), cbor::integer(o.attestation_alg.value_or(static_cast<std::int64_t>(algorithm_)))},
                 {cbor::text("sig"), cbor::bytes(sig)}};
            if (o.x5c) entries.emplace_back(cbor::text("x5c"), cbor::array({cbor::bytes(random(300))}));
            statement = cbor::map(entries);
        } else {
            statement = cbor::map({});
        }
        r.attestation_object = cbor::map({{cbor::text("fmt"), cbor::text(o.fmt)},
                                          {cbor::text("attStmt"), statement},
                                          {cbor::text("authData"), cbor::bytes(r.authenticator_data)}});
        return r;
    }

    /// How an assertion is made; the defaults make a valid one for example.com.
    struct AssertionOptions {
        std::string rp_id = "example.com";
        std::string origin = "https://example.com";
        std::string type = "webauthn.get";
        std::optional<bool> cross_origin = false;
        std::uint8_t flags = kUP | kUV;
        std::optional<std::uint32_t> sign_count;  // the authenticator's counter plus one by default
        std::string extensions;                   // encoded CBOR (kED is added)
        std::string trailing;                     // bytes after the authenticator data
    };

    /// What navigator.credentials.get() returns (the parts a relying party checks).
    struct AssertionResponse {
        std::string client_data_json;
        std::string authenticator_data;
        std::string signature;
    };

    /// An assertion for `challenge` (raw bytes); advances the counter unless a count is given.
    AssertionResponse assert_credential(std::string_view challenge) { return assert_credential(challenge, AssertionOptions()); }
    /// An assertion for `challenge` (raw bytes), made as `o` says.
    AssertionResponse assert_credential(std::string_view challenge, const AssertionOptions& o) {
        AssertionResponse r;
        r.client_data_json = client_data_json(o.type, challenge, o.origin, o.cross_origin);
        counter_ = o.sign_count.value_or(counter_ + 1);
        const std::uint8_t flags = o.extensions.empty() ? o.flags : static_cast<std::uint8_t>(o.flags | kED);
        r.authenticator_data = authenticator_data(o.rp_id, flags, counter_, {}, o.extensions) + o.trailing;
        r.signature = sign(r.authenticator_data + soft_sha256(r.client_data_json));
        return r;
    }

    /// The registration as PublicKeyCredential.toJSON() writes it (RegistrationResponseJSON): what
    /// a page posts to the relying party, every binary member base64url.
    nlohmann::json registration_json(const Registration& r) const {
        const auto id = base64url_encode(credential_id_);
        return {{"id", id},
                {"rawId", id},
                {"type", "public-key"},
                {"authenticatorAttachment", "platform"},
                {"clientExtensionResults", nlohmann::json::object()},
                {"response",
                 {{"clientDataJSON", base64url_encode(r.client_data_json)},
                  {"attestationObject", base64url_encode(r.attestation_object)},
                  {"transports", {"internal"}}}}};
    }

    /// The assertion as PublicKeyCredential.toJSON() writes it (AuthenticationResponseJSON), with
    /// `user_handle` (raw bytes; left out when empty).
    nlohmann::json assertion_json(const AssertionResponse& a, std::string_view user_handle = {}) const {
        const auto id = base64url_encode(credential_id_);
        nlohmann::json response = {{"clientDataJSON", base64url_encode(a.client_data_json)},
                                   {"authenticatorData", base64url_encode(a.authenticator_data)},
                                   {"signature", base64url_encode(a.signature)}};
        if (!user_handle.empty()) response["userHandle"] = base64url_encode(user_handle);
        return {{"id", id},
                {"rawId", id},
                {"type", "public-key"},
                {"authenticatorAttachment", "platform"},
                {"clientExtensionResults", nlohmann::json::object()},
                {"response", response}};
    }

    /// `size` random bytes.
    static std::string random(std::size_t size) {
        std::string out(size, '\0');
        if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) != 1)
            throw std::runtime_error("RAND_bytes failed");
        return out;
    }

private:
    std::string bn_param(const char* name, int width = 0) const {
        BIGNUM* raw = nullptr;
        if (EVP_PKEY_get_bn_param(key_.get(), name, &raw) != 1) throw std::runtime_error("cannot read a key parameter");
        const int size = width > 0 ? width : BN_num_bytes(raw);
        std::string out(static_cast<std::size_t>(size), '\0');
        const int written = BN_bn2binpad(raw, reinterpret_cast<unsigned char*>(out.data()), size);
        BN_free(raw);
        if (written != size) throw std::runtime_error("key parameter too large");
        return out;
    }

    webauthn::CoseAlgorithm algorithm_;
    std::shared_ptr<EVP_PKEY> key_;
    std::string credential_id_;
    std::string aaguid_;
    std::uint32_t counter_ = 0;
};

}  // namespace fauth::test
