/// @file
/// fauth/core/token.hpp — this service's tokens (RFC 7515/7519): made, signed, and verified by its Verifier.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/core/claims.hpp"
#include "fauth/core/config.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/verifier.hpp"

namespace fauth {

/// 128 random bits from the system CSPRNG as 32 lower-case hex digits (for your own ids; fauth's token ids are random_token_id()'s).
std::string random_id();

/// 128 random bits from the system CSPRNG as 22 base64url characters, unpadded: the jti and family ids of fauth's tokens.
std::string random_token_id();

/// What a successful login returns, as FAuth's TokenResponse.
struct TokenResponse {
    /// The short-lived access token.
    std::string access_token;
    /// The long-lived token that obtains new pairs.
    std::string refresh_token;
    /// "bearer", or "DPoP" for tokens bound to the key of a DPoP proof (RFC 9449 section 5.1): sent
    /// as `Authorization: DPoP` with a proof by that key.
    std::string token_type = "bearer";
    /// Seconds until the access token expires.
    std::int64_t expires_in = 0;
    /// The session family both tokens belong to (not part of the JSON body): what a cookie
    /// session's CSRF token is bound to.
    std::string family;
};

/// TokenResponse as the JSON object clients receive.
void to_json(nlohmann::json& out, const TokenResponse& response);

/// This service's tokens made and signed (with its key ring's signing key, or its HMAC key), and
/// every token verified by its Verifier: a thin pairing of the two; thread-safe.
class TokenCodec {
public:
    /// Validates `config` (throws ConfigError) and sets up its keys once.
    explicit TokenCodec(TokenConfig config);
    /// A codec over `config`, which its owner has validated and keeps, unchanged, for the codec's
    /// lifetime: an Engine's, so that the configuration is stored and validated once.
    TokenCodec(const TokenConfig& config, AlreadyValidated);
    // Not copyable: a copy of an engine's codec would outlive the configuration it points to.
    TokenCodec(const TokenCodec&) = delete;
    TokenCodec& operator=(const TokenCodec&) = delete;

    /// A fresh payload of `type` for `sub`: iat and iat_us now, exp from the type's TTL, a random jti (random_token_id),
    /// iss/aud from the config. Throws std::invalid_argument if `extra` is not an object or names
    /// a registered claim.
    TokenPayload make_payload(TokenType type, std::string sub, std::vector<std::string> scopes = {},
                              nlohmann::json extra = nlohmann::json::object()) const;

    /// The compact JWS of `payload`. Throws std::invalid_argument for an empty `sub` or `jti`, or an
    /// `extra` that is not an object or names a registered claim.
    std::string sign(const TokenPayload& payload) const;

    /// make_payload then sign.
    std::string issue(TokenType type, std::string sub, std::vector<std::string> scopes = {},
                      nlohmann::json extra = nlohmann::json::object()) const;

    /// Verifier::verify with the configuration's policy (see fauth/core/verifier.hpp).
    TokenPayload verify(std::string_view token, TokenType expected) const;

    /// A short keyed digest of `data` (22 base64url characters), for binding a token to server
    /// state without revealing it: password-reset tokens carry one of the current password hash.
    std::string fingerprint(std::string_view data) const;

    /// The configuration the codec was built with.
    const TokenConfig& config() const noexcept { return *config_; }
    /// The Verifier verify uses (for the introspection of trusted issuers' tokens).
    const Verifier& verifier() const noexcept { return verifier_; }

private:
    std::shared_ptr<const TokenConfig> owned_;  // when the codec holds its configuration itself
    const TokenConfig* config_;
    Verifier verifier_;  // also holds the HMAC key the codec signs with when there is no key ring
};

}  // namespace fauth
