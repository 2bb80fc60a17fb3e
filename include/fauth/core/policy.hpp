// fauth/core/policy.hpp — what a token's verification can be told beyond keys: the identity
// providers it trusts (IssuerPolicy, implemented by fauth/oidc/issuer.hpp's TrustedIssuer) and the
// checks every token must pass (ClaimCheck). TokenConfig holds both; the Verifier calls them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fauth {

class KeyRing;
struct TokenPayload;

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
};

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
