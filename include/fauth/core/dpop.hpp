/// @file
/// fauth/core/dpop.hpp — DPoP proofs (RFC 9449): a JWT a client signs with its own key for one
/// request, which binds an access token to that key. Verifying one: its form, its signature by the
/// public key in its header, the request it names, its age, the token it carries the hash of. JWK
/// thumbprints (RFC 7638), which a bound token's `cnf.jkt` holds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/core/claims.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/outcome.hpp"

namespace fauth {

namespace detail {
class HmacKey;
}  // namespace detail

/// Server nonces for DPoP proofs (RFC 9449 section 8): stateless, each a keyed digest of a time
/// window, accepted in its window and the next, so that processes sharing a secret accept each
/// other's and nothing is stored. Thread-safe.
class DpopNonces {
public:
    /// Nonces under `secret` (at least 16 bytes) that change every `lifetime` (positive). Throws ConfigError.
    DpopNonces(std::string_view secret, std::chrono::seconds lifetime);
    /// The nonce to give clients at `now`.
    std::string current(std::chrono::system_clock::time_point now) const;
    /// True when `nonce` is the one of `now`'s window or of the one before.
    bool valid(std::string_view nonce, std::chrono::system_clock::time_point now) const;

private:
    std::string of_window(std::int64_t window) const;
    std::int64_t window_at(std::chrono::system_clock::time_point now) const;
    std::shared_ptr<const detail::HmacKey> key_;
    std::chrono::seconds lifetime_;
};

/// The RFC 7638 thumbprint of public JWK `jwk` (SHA-256 of its required members, base64url): what
/// `cnf.jkt` holds. Throws InvalidDpopProof when `jwk` is not an RSA, EC or OKP public key with
/// string members, or holds a private part.
std::string jwk_thumbprint(const nlohmann::json& jwk);

/// The thumbprint of the key `token` is bound to (its `cnf.jkt` claim, RFC 9449 section 6), or
/// null for a token bound to no key.
const std::string* dpop_jkt(const TokenPayload& token) noexcept;

/// True when `token` is bound to its holder (RFC 7800 `cnf`): to a DPoP key (`jkt`) or to a
/// client certificate (`x5t#S256`). Such a token is good only where the holder can be proved.
bool holder_bound(const TokenPayload& token) noexcept;

/// SHA-256 of `data`, base64url: a DPoP proof's `ath` of an access token, a certificate's
/// `x5t#S256`.
std::string sha256_base64url(std::string_view data);

/// `url` as RFC 9449 section 4.3 compares `htu`: scheme and host in lower case, the scheme's
/// default port dropped, percent-encodings upper-case (unreserved characters decoded), an empty
/// path as "/", the query and the fragment dropped. Nothing for a URL that is not an absolute
/// http(s) URL without user information.
std::optional<std::string> normalized_htu(std::string_view url);

/// The public keys of recent proofs, by algorithm and thumbprint, so that a client's next proof
/// costs no key parsing (a third of a proof's verification for ES256). Bounded (the oldest
/// goes first); thread-safe.
class DpopKeyCache {
public:
    /// A cache of at most `capacity` keys (at least 1).
    explicit DpopKeyCache(std::size_t capacity = 4096);
    /// The key cached under `id`, or nothing.
    std::optional<Key> find(std::string_view id) const;
    /// Caches `key` under `id`.
    void add(std::string id, Key key);

private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Key> keys_;
    std::deque<std::string> order_;  // first added first
};

/// How DPoP proofs are judged.
struct DpopPolicy {
    /// The JWS algorithms a proof may use (asymmetric only: HMAC names are refused whatever this says).
    std::vector<std::string> algorithms{"ES256", "ES384", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA"};
    /// How old a proof's `iat` may be.
    std::chrono::seconds max_age{60};
    /// How far in the future a proof's `iat` may be (clock skew).
    std::chrono::seconds leeway{5};
    /// Largest proof accepted, in bytes (an RSA-4096 key in the header fits in 2 KiB).
    std::size_t max_proof_bytes = 4096;
};

/// The request a proof must name.
struct DpopRequest {
    /// Its method (`htm`), e.g. "GET".
    std::string_view method;
    /// Its URL as the client reached it (`htu`), compared as normalized_htu says.
    std::string_view url;
    /// The access token it comes with (`ath` must be its SHA-256); empty where none is presented
    /// (a token request), and `ath` is then not required.
    std::string_view access_token;
    /// The server nonce it must carry (`nonce`), when the server asked for one.
    std::string_view nonce;
    /// The server's nonces, when it requires them: the proof's `nonce` must be valid (else the
    /// failure is DpopNonceRequired, which asks the client to retry with a fresh one).
    const DpopNonces* nonces = nullptr;
    /// Keys of earlier proofs (a proof's key found there is not parsed again), when given.
    DpopKeyCache* keys = nullptr;
};

/// What a verified proof says.
struct DpopProof {
    /// The thumbprint of its key (jwk_thumbprint), which the token's `cnf.jkt` must equal.
    std::string jkt;
    /// Its `jti`, unique per proof: a replay cache remembers it.
    std::string jti;
    /// Its `iat`, in seconds since the epoch.
    std::int64_t iat = 0;
};

/// `proof` verified for `request` at `now` under `policy`: a compact JWS with `typ: dpop+jwt`, an
/// asymmetric `alg` of the policy's, a public `jwk` that verifies its signature, and claims `jti`,
/// `htm` (exactly the method), `htu` (the URL, normalized), `iat` within the window, `ath` (the
/// token's hash, when a token comes) and `nonce` (when one is expected). The failure is
/// InvalidDpopProof with the reason, or DpopNonceRequired for a missing or stale server nonce;
/// nothing is thrown but std::bad_alloc.
Result<DpopProof> verify_dpop_proof(std::string_view proof, const DpopRequest& request, const DpopPolicy& policy,
                                    std::chrono::system_clock::time_point now);

}  // namespace fauth
