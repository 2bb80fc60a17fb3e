/// @file
/// fauth/core/verifier.hpp — the verification policy of tokens as a value (after jwt-cpp's
/// `verifier`): whose keys, which issuer and audience, how much clock skew, and checks of your own.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/core/claims.hpp"
#include "fauth/core/config.hpp"
#include "fauth/core/keys.hpp"

namespace fauth {

/// Strictly verifies compact JWS tokens: this service's own (with its HMAC key or key ring, its
/// issuer and audience) and its trusted issuers' (each routed by `iss` to its IssuerPolicy), then
/// the ClaimChecks. A value: copy it to vary it; verify is thread-safe.
class Verifier {
public:
    /// The policy `config` describes (keys, issuer, audience, leeway, clock, size bound, trusted
    /// issuers, claim_checks). Validates `config` (throws ConfigError).
    explicit Verifier(const TokenConfig& config);
    /// The policy `config` describes, which its owner has validated already (not validated again).
    Verifier(const TokenConfig& config, AlreadyValidated);

    /// Also requires the claim `name` (not a registered one) to equal `value` exactly. Throws
    /// ConfigError for a registered claim, which fauth checks itself.
    Verifier& with_claim(std::string name, nlohmann::json value);
    /// Also requires `check`; tokens it fails are refused with `check.reason`.
    Verifier& with_check(ClaimCheck check);

    /// The payload of `token` if every check passes, for tokens of `expected` type only. A token
    /// whose `iss` is a trusted issuer's is verified with that issuer's keys and read in its claim
    /// shape (access tokens only); any other with this service's own key or keys. Throws
    /// TokenExpired, UnknownKeyId (naming the ring to refresh), or InvalidToken with the reason;
    /// never anything else but bad_alloc.
    TokenPayload verify(std::string_view token, TokenType expected) const;

    /// The trusted issuer whose introspection endpoint answers for `token` instead of keys (see
    /// IntrospectedTokens): the introspecting issuer for a token that is not a compact JWS, or for
    /// a JWS whose `iss` is its own (and whose header says `typ: at+jwt` when the issuer requires
    /// it) when it introspects every token; null when `token` is verified here (verify), as it is
    /// when no issuer introspects, and for a token that is not an RFC 6750 b64token or is larger
    /// than max_token_bytes (verify refuses those). Never throws.
    const IssuerPolicy* introspected_by(std::string_view token) const noexcept;
    /// `payload`, an introspected token's (read_introspection), checked as verify checks every
    /// token after its claims: nbf, iat and exp with the leeway on the configured clock, then the
    /// ClaimChecks. Throws TokenExpired or InvalidToken.
    TokenPayload admit_introspected(TokenPayload payload) const;

private:
    // The checks of every token once its claims are read: times, then the ClaimChecks.
    void check_times_and_claims(const TokenPayload& p) const;

    friend class TokenCodec;  // signs and fingerprints with secret_: one key

    std::size_t max_token_bytes_;
    std::vector<std::shared_ptr<const IssuerPolicy>> issuers_;
    std::shared_ptr<KeyRing> ring_;  // this service's keys, chosen by kid, or else
    std::optional<Key> secret_;      // its HMAC key (secret_key), algorithm pinned
    std::optional<std::string> issuer_;
    std::optional<std::string> audience_;
    std::chrono::seconds leeway_;
    Clock clock_;
    std::vector<ClaimCheck> checks_;
    const IssuerPolicy* introspecting_ = nullptr;  // the one issuer that introspects, in issuers_
};

}  // namespace fauth
