/// @file
/// fauth/oidc/id_token.hpp — what a relying party checks in the tokens an OpenID provider sends it:
/// the ID token that ends a sign-in (OpenID Connect Core 1.0 sections 3.1.3.7 and 3.1.3.8) and
/// the logout token of a back-channel logout (OpenID Connect Back-Channel Logout 1.0 section
/// 2.6). Pure functions of the token, the provider's keys and the caller's expectations: the
/// caller fetches the keys (JwksKeyRing), remembers the logout tokens' `jti` and keeps the clock.
/// Link fauth::oidc.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/core/keys.hpp"
#include "fauth/core/outcome.hpp"

namespace fauth::oidc {

/// What an ID token must satisfy (OpenID Connect Core 1.0 sections 3.1.3.7 and 3.1.3.8).
struct IdTokenCheck {
    /// The provider's issuer identifier: `iss` must equal it exactly.
    std::string issuer;
    /// This relying party's client id: it must be in `aud` (a string or an array); when `aud`
    /// holds more than one value, `azp` is required, and `azp`, when present, must equal it.
    std::string client_id;
    /// The nonce sent in the authorization request (LoginState::nonce): required, not empty; the
    /// token's `nonce` must equal it (compared in constant time).
    std::string nonce;
    /// The access token issued with the ID token: when not empty and the token has `at_hash`,
    /// `at_hash` must be its hash (section 3.1.3.8).
    std::string access_token;
    /// The `max_age` of the authorization request, when one was sent: `auth_time` is then
    /// required, and `now` - `auth_time` must not exceed max_age + leeway.
    std::optional<std::chrono::seconds> max_age;
    /// The algorithms the provider signs ID tokens with (its id_token_signed_response_alg):
    /// asymmetric ones only; an empty list, "none" or an HMAC algorithm is a configuration error.
    std::vector<std::string> algorithms{"RS256"};
    /// The time to check against, in Unix seconds.
    std::int64_t now = 0;
    /// Clock skew allowed for `exp`, an `iat` or `nbf` in the future, and `auth_time` (at least 0).
    std::chrono::seconds leeway{60};
};

/// A verified ID token.
struct IdToken {
    /// `iss`.
    std::string issuer;
    /// `sub`: the user at the provider (1 to 255 bytes); with `issuer`, the user's stable identifier.
    std::string subject;
    /// `aud`, as a list (one element when the token wrote a string).
    std::vector<std::string> audiences;
    /// `iat`, in Unix seconds.
    std::int64_t issued_at = 0;
    /// `exp`, in Unix seconds.
    std::int64_t expires_at = 0;
    /// `auth_time`, when the token has it: when the user authenticated, in Unix seconds.
    std::optional<std::int64_t> auth_time;
    /// `sid`, when the token has it: the session at the provider, which a logout token may name.
    std::optional<std::string> sid;
    /// `acr`, or empty.
    std::string acr;
    /// `amr`, or empty.
    std::vector<std::string> amr;
    /// The whole payload, as the provider wrote it (email, name, ... for the application).
    nlohmann::json claims;
};

/// Verifies the ID token `token` (a compact JWS) with the provider's `keys` against `check`, in
/// the order of OpenID Connect Core 1.0 section 3.1.3.7: the signature (verify_jws, restricted
/// to `check.algorithms`), the header's `typ` ("JWT" in any case, with or without "application/",
/// or none: a logout token or an RFC 9068 access token does not pass as an ID token), a payload
/// that is one strict JSON object (UTF-8, no member twice), `iss`, `aud` and `azp`, `exp`, `iat`
/// (at most the leeway ahead), `nbf` when present, `sub`, `nonce`, `at_hash` (the left half of
/// the SHA-256, -384 or -512 hash the algorithm names, SHA-512 for EdDSA, of the access token,
/// base64url; compared in constant time), `auth_time` and `max_age`, and the types of `acr`,
/// `amr` and `sid`. A token of more than 64 KiB is refused unread. A refused token is a failure
/// of kind invalid_token, detail "Invalid ID token", whose log says which check failed; a
/// `check` that cannot be satisfied safely (no algorithm, "none" or an HMAC algorithm, no nonce,
/// a negative leeway or max_age) is a failure of kind internal. Never throws for what the token
/// holds.
Result<IdToken> verify_id_token(std::string_view token, const KeySet& keys, const IdTokenCheck& check);

/// What a back-channel logout token must satisfy (OpenID Connect Back-Channel Logout 1.0 section 2.6).
struct LogoutTokenCheck {
    /// The provider's issuer identifier: `iss` must equal it exactly.
    std::string issuer;
    /// This relying party's client id: it must be in `aud` (a string or an array).
    std::string client_id;
    /// The algorithms the provider signs logout tokens with: as IdTokenCheck::algorithms.
    std::vector<std::string> algorithms{"RS256"};
    /// The time to check against, in Unix seconds.
    std::int64_t now = 0;
    /// Clock skew allowed for `iat` in the future, `exp` and `nbf` (at least 0).
    std::chrono::seconds leeway{60};
    /// How old `iat` may be (plus leeway): bounds how long a `jti` must be remembered to refuse
    /// a replay (at least 0).
    std::chrono::seconds max_age{120};
};

/// A verified logout token: the session or sessions the provider ended.
struct LogoutToken {
    /// `iss`.
    std::string issuer;
    /// `sub`, when the token has it: end this user's sessions (of this issuer).
    std::optional<std::string> subject;
    /// `sid`, when the token has it: end this session at the provider (IdToken::sid).
    std::optional<std::string> sid;
    /// `jti`: refuse a second token with it until `expires_at`.
    std::string jti;
    /// `iat`, in Unix seconds.
    std::int64_t issued_at = 0;
    /// Until when its `jti` must be remembered, in Unix seconds: min(exp, iat + max_age) + leeway,
    /// or iat + max_age + leeway for a token without `exp`. After it, the token is refused anyway.
    std::int64_t expires_at = 0;
};

/// Verifies the logout token `token` (a compact JWS, the `logout_token` form parameter) with the
/// provider's `keys` against `check` (Back-Channel Logout 1.0 section 2.6): the signature
/// (verify_jws, restricted to `check.algorithms`), the header's `typ` ("logout+jwt" or "JWT",
/// in any case, with or without "application/", or none), a payload that is one strict JSON
/// object, `iss`, `aud`, `iat` (not older than max_age + leeway, at most the leeway ahead), `exp`
/// and `nbf` when present, `jti` (1 to 256 bytes), `events` (an object whose member
/// "http://schemas.openid.net/event/backchannel-logout" is an object), `sub` and `sid` (non-empty
/// strings when present, at least one of them) and no `nonce` (so that an ID token never passes
/// as a logout token). Whether the `jti` was seen before is the caller's to check. A refused
/// token is a failure of kind invalid_token, detail "Invalid logout token", whose log says which
/// check failed; an unsafe `check` is a failure of kind internal. Never throws for what the token
/// holds.
Result<LogoutToken> verify_logout_token(std::string_view token, const KeySet& keys, const LogoutTokenCheck& check);

}  // namespace fauth::oidc
