/// @file
/// fauth/core/policy.hpp — what a token's verification can be told beyond keys: the identity
/// providers it trusts (IssuerPolicy, implemented by fauth/oidc/issuer.hpp's TrustedIssuer) and the
/// checks every token must pass (ClaimCheck). TokenConfig holds both; the Verifier calls them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fauth/core/outcome.hpp"

namespace fauth {

class KeyRing;
struct TokenPayload;

/// Which tokens an issuer's token introspection endpoint (RFC 7662) checks instead of its keys.
/// Opaque tokens carry no `iss` to choose an issuer by, so one issuer of a configuration at most
/// introspects: every token that is not a compact JWS goes to it.
enum class IntrospectedTokens {
    /// Tokens that are not a compact JWS (two dots); its JWTs are verified with its keys.
    opaque,
    /// Those and its JWTs too (routed by their `iss`): every token it issued is asked about, so
    /// that a token it revoked is refused as soon as the cache lets go of it.
    all,
};

/// How the tokens of one identity provider are verified and read, for a service that accepts
/// them beside its own (TokenConfig::issuers). The core routes a token here by its claimed `iss`,
/// checks its header and signature with these keys and algorithms and reads the claims every
/// token has; the policy reads the rest (scopes, roles, audience, its own claims). Thread-safe.
class IssuerPolicy {
public:
    virtual ~IssuerPolicy() = default;
    /// The `iss` its tokens carry, exactly.
    virtual const std::string& issuer() const noexcept = 0;
    /// Its keys, chosen by the token's `kid`.
    virtual const std::shared_ptr<KeyRing>& keys() const noexcept = 0;
    /// True when its tokens may be signed with `algorithm` by a key that does not declare its own.
    virtual bool allows(std::string_view algorithm) const noexcept = 0;
    /// True when its tokens' header must say `typ: at+jwt` (RFC 9068).
    virtual bool requires_at_jwt() const noexcept = 0;
    /// While its keys are not loaded yet (none since start: its provider has not answered), how
    /// long until they may be: a token naming a key of it is then answered Unavailable (503)
    /// with that Retry-After instead of being refused. Nullopt once it has keys (the default).
    virtual std::optional<std::chrono::seconds> keys_pending() const { return std::nullopt; }
    /// Reads its claim shape from `payload.extra` into `payload` (scopes, roles) and checks the
    /// audience and its other claims. Throws InvalidToken.
    virtual void admit(TokenPayload& payload) const = 0;
    /// Throws ConfigError naming what is missing or wrong.
    virtual void validate() const = 0;

    /// Which of its tokens its introspection endpoint checks; nullopt (the default): none, every
    /// token of it is a JWT verified with its keys.
    virtual std::optional<IntrospectedTokens> introspects() const noexcept { return std::nullopt; }
    /// Its introspection's answer for `token` as a payload (read_introspection) or its refusal,
    /// when its cache holds one; nullopt when the endpoint must be asked (introspect).
    virtual std::optional<Result<TokenPayload>> introspected(std::string_view token) const;
    /// Asks its introspection endpoint about `token`; `done` runs once with the payload
    /// (read_introspection) or the failure: InvalidToken (inactive, another audience...), or
    /// Unavailable when the endpoint cannot answer (never accepted). It runs on a thread of the
    /// introspection's own (or at once, on this thread, when refused at once): it must hand what
    /// follows to a thread of the caller's. The default answers InvalidToken at once.
    virtual void introspect(std::string token, std::function<void(Result<TokenPayload>)> done) const;
};

/// The payload of `answer`, an introspection answer (RFC 7662 section 2.2) of `issuer`'s
/// endpoint, read and checked as that issuer's JWTs are, except for times (the Verifier checks
/// those on every use: Verifier::admit_introspected): `active` must be true ("token inactive"),
/// `token_type` when present an access token's (Bearer, DPoP, access_token), `iss` when present
/// the issuer's (filled in when absent), `sub` present, or else `client_id` stands for it (a
/// client acting for itself, as RFC 9068 section 2.2 says), `exp` present; then the issuer's
/// claim shape and audience (IssuerPolicy::admit). Every other member (`cnf`, `client_id`,
/// `username`...) is kept in TokenPayload::extra, so that DPoP and certificate binding work for
/// introspected tokens too. Throws InvalidToken.
TokenPayload read_introspection(const IssuerPolicy& issuer, const nlohmann::json& answer);

/// A check every verified token must pass after fauth's own, this service's tokens and trusted
/// issuers' alike (a tenant claim, say): a token `accepts` returns false for (or throws for) is
/// refused as InvalidToken with `reason`.
struct ClaimCheck {
    /// The refusal's reason, as in "Invalid token: <reason>" (logged, never shown to clients).
    std::string reason;
    /// True to accept the token.
    std::function<bool(const TokenPayload& payload)> accepts;
};

}  // namespace fauth
