/// @file
/// fauth/core/keys.hpp — signing and verification keys bound to one JWS algorithm each (HMAC, RSA,
/// RSA-PSS, ECDSA, EdDSA), key sets chosen by `kid`, and a key ring that can be rotated live.
/// Verifying a bare JWS with a key set: fauth/core/jws.hpp.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fauth {

namespace detail {
class KeyImpl;
struct KeyAccess;
}  // namespace detail

/// True when fauth signs and verifies with JWS algorithm `name` (HS256/384/512, RS256/384/512,
/// PS256/384/512, ES256, ES384, ES512, EdDSA and its RFC 9864 name Ed25519; exact, case-sensitive
/// as JWS requires).
bool is_supported_algorithm(std::string_view name) noexcept;
/// True for the HMAC algorithms (HS256, HS384, HS512), whose keys are shared secrets.
bool is_hmac_algorithm(std::string_view name) noexcept;

/// One key for one JWS algorithm. The algorithm is fixed when the key is made and checked against
/// the key's type (an RSA key is never an HMAC secret, a P-384 key never signs ES256), so a
/// token's `alg` can only ever select this algorithm. Cheap to copy; thread-safe.
class Key {
public:
    /// An HMAC key (HS256, HS384, HS512) of at least the digest's length. Throws ConfigError.
    static Key hmac(std::string_view algorithm, std::string_view secret, std::string kid = {});
    /// A key from PEM text: a private key (signs and verifies) or a public key / certificate-free
    /// SubjectPublicKeyInfo (verifies only), for RS256/384/512, PS256/384/512 (RSA of at least
    /// 2048 bits, without the ROCA weakness of CVE-2017-15361), ES256 (P-256), ES384 (P-384),
    /// ES512 (P-521) or EdDSA / Ed25519 (Ed25519). Throws ConfigError when the PEM is unreadable
    /// or the key does not fit `algorithm`.
    static Key from_pem(std::string_view algorithm, std::string_view pem, std::string kid = {});
    /// A new random private key for `algorithm` (RSA: 2048 bits), e.g., for a process that signs
    /// only its own short-lived tokens. Throws ConfigError for an HMAC or unknown algorithm.
    static Key generate(std::string_view algorithm, std::string kid = {});
    /// The private key as PKCS#8 PEM, to store a generated key. Throws std::logic_error for a
    /// public or HMAC key.
    std::string private_pem() const;
    /// from_pem with the contents of the file at `path`.
    static Key from_pem_file(std::string_view algorithm, const std::string& path, std::string kid = {});
    /// A public key from a JSON Web Key (RFC 7517/7518/8037: kty RSA, EC or OKP). Its algorithm is
    /// its `alg` member, or else `algorithm` when given, or else for EC and OKP keys the one its
    /// curve implies (ES256, ES384, ES512, EdDSA). Symmetric (`oct`) and private JWKs are refused:
    /// a key set fetched from elsewhere never yields a secret; so are keys not for verifying (a
    /// `use` other than "sig", `key_ops` without "verify"). RSA keys need 2048 bits, an odd
    /// exponent of at least 3 and no ROCA fingerprint (CVE-2017-15361). Throws ConfigError.
    static Key from_jwk(const nlohmann::json& jwk, std::string_view algorithm = {});

    /// The JWS algorithm, e.g. "RS256".
    const std::string& algorithm() const noexcept;
    /// The key id written into tokens' `kid` header, possibly empty.
    const std::string& kid() const noexcept;
    /// True for a private or HMAC key.
    bool can_sign() const noexcept;
    /// True when the algorithm was stated for this key: a JWK's `alg` member, or the algorithm a
    /// PEM, secret or generated key was made for; false when it was inferred (a JWK without `alg`:
    /// from its curve, or the algorithm from_jwk was given). A key that declares its algorithm
    /// verifies tokens of that algorithm even where a trusted issuer's list of algorithms lacks it
    /// (RFC 8725 section 3.1: the key pins the algorithm); one that does not, only where listed.
    bool declares_algorithm() const noexcept;
    /// True for HMAC keys, which are secret and never published.
    bool is_symmetric() const noexcept;
    /// The public part as a JWK (kty, use "sig", alg, kid and the key parameters). Throws
    /// std::logic_error for an HMAC key.
    nlohmann::json public_jwk() const;

    /// The JWS signature of `input` (raw r||s for ECDSA, RFC 7518 section 3.4). Throws
    /// std::logic_error when the key cannot sign, std::runtime_error when OpenSSL fails.
    std::string sign(std::string_view input) const;
    /// True when `signature` is this key's JWS signature of `input`; anything malformed is false.
    bool verify(std::string_view input, std::string_view signature) const noexcept;

private:
    friend struct detail::KeyAccess;  // the JWS code signs with the key's own header
    explicit Key(std::shared_ptr<const detail::KeyImpl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const detail::KeyImpl> impl_;
};

/// Verification keys chosen by `kid`, and the one that signs. Immutable once handed to a KeyRing.
class KeySet {
public:
    /// Adds `key`. Throws ConfigError if its kid already names a key, unless both are the same
    /// public key for different algorithms (an RSA key published without `alg` verifies RS256 and
    /// PS256 alike when allowed); a key that signs always has a kid of its own. A public key
    /// without a kid verifies only tokens without one, while it is the set's only key for their
    /// algorithm.
    KeySet& add(Key key);
    /// Removes the key with `kid` (no-op when absent). Throws ConfigError if it is the signing key.
    KeySet& remove(std::string_view kid);
    /// Makes the key with `kid` the signing key. Throws ConfigError if absent or it cannot sign.
    KeySet& sign_with(std::string_view kid);

    /// The first key with `kid`, or null (always null for an empty kid).
    const Key* find(std::string_view kid) const noexcept;
    /// The key with `kid` for `algorithm`, or null.
    const Key* find(std::string_view kid, std::string_view algorithm) const noexcept;
    /// The signing key, or null for a verify-only set.
    const Key* signing_key() const noexcept;
    /// Every key, in the order added.
    const std::vector<Key>& keys() const noexcept { return keys_; }
    /// The public keys as a JWK Set (RFC 7517 section 5); HMAC keys are never included.
    nlohmann::json jwks() const;
    /// A verify-only set of the public keys in `jwks` (a JWK Set document). A key fauth cannot
    /// use (unknown kty or alg, `use` other than "sig", unsupported curve, weak or malformed RSA,
    /// a secret or private key, a kid already taken by another key) is skipped, never fatal to
    /// the others; each skip is described in `skipped` when given (as are keys whose `key_ops`
    /// lack "verify" and RSA keys with the ROCA fingerprint). An RSA key without `alg` is loaded
    /// once for each of `rsa_algorithms` (RS* and PS* names), an Ed25519 key without `alg` for
    /// both EdDSA and Ed25519. Throws ConfigError only when `jwks` is not a JWK Set.
    static KeySet from_jwks(const nlohmann::json& jwks, const std::vector<std::string>& rsa_algorithms = {"RS256"},
                            std::vector<std::string>* skipped = nullptr);

private:
    std::vector<Key> keys_;
    std::string signing_kid_;
};

/// The key set a codec signs and verifies with, replaceable while serving (key rotation): each
/// token is handled with one consistent snapshot. Thread-safe.
class KeyRing {
public:
    /// A ring holding `keys`.
    explicit KeyRing(KeySet keys = {});
    virtual ~KeyRing() = default;
    KeyRing(const KeyRing&) = delete;
    KeyRing& operator=(const KeyRing&) = delete;

    /// The current key set.
    std::shared_ptr<const KeySet> current() const;
    /// Replaces the key set; tokens being verified finish with the one they started with.
    void replace(KeySet keys);
    /// Called when a token names a `kid` the current set lacks: a ring that can fetch keys (a JWKS
    /// client) fetches them and calls `done(true)` if it loaded a key set, `done(false)` if not,
    /// exactly once, on the thread where the fetch ended. `done` must not own the ring. The
    /// default has nowhere to look and calls `done(false)` at once.
    virtual void refresh_for(std::string kid, std::function<void(bool changed)> done);

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const KeySet> keys_;
};

}  // namespace fauth
