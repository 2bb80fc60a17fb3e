/// @file
/// fauth/core/config.hpp — what tokens are made and checked with (TokenConfig), and its validation.
/// The provider holds one as AuthConfig::tokens (fauth/auth/config.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/core/metrics.hpp"
#include "fauth/core/security_event.hpp"

#include "fauth/core/clock.hpp"
#include "fauth/core/policy.hpp"

namespace fauth {

class KeyRing;

/// Receives operational messages fauth must not show clients (a loader's failure, say).
using LogSink = std::function<void(std::string_view message)>;

/// Sends `message` to `log`, or to standard error when `log` is empty or throws (never throws).
void write_log(const LogSink& log, std::string_view message) noexcept;

/// Marks a configuration its holder has validated already, so that it is not validated again.
struct AlreadyValidated {
    explicit AlreadyValidated() = default;
};

/// What tokens are signed and verified with (a TokenCodec's configuration); call validate() (the
/// codec does) before use. An AuthProvider holds one as AuthConfig::tokens (fauth/auth/config.hpp).
struct TokenConfig {
    /// HMAC key. At least as long as the digest: 32 bytes for HS256, 48 for HS384, 64 for HS512.
    std::string secret_key;
    /// Signing algorithm, pinned: tokens naming any other `alg` are refused. HS256, HS384 or HS512.
    std::string algorithm = "HS256";
    /// Asymmetric (or several) keys instead of secret_key/algorithm: tokens are signed with the
    /// ring's signing key and carry its `kid`; a token is verified with the key its `kid` names,
    /// whose algorithm it must use. Without a signing key the provider only verifies. secret_key
    /// may then be left empty (it is still used, when set, to bind password-reset tokens).
    std::shared_ptr<KeyRing> keys;
    /// Identity providers whose access tokens are accepted beside this service's own (routed by
    /// `iss`; see TrustedIssuer in fauth/oidc/issuer.hpp, which converts to this). With issuers,
    /// secret_key and keys may both be left empty: the service then only verifies (a resource
    /// server) and issue/sign throw std::logic_error.
    std::vector<std::shared_ptr<const IssuerPolicy>> issuers;
    /// Checks every verified token must pass after fauth's own, in order (see Verifier::with_claim).
    std::vector<ClaimCheck> claim_checks;
    /// Lifetime of access tokens.
    std::chrono::seconds access_token_ttl = std::chrono::minutes(15);
    /// Lifetime of refresh tokens.
    std::chrono::seconds refresh_token_ttl = std::chrono::hours(24 * 7);
    /// Lifetime of password-reset tokens.
    std::chrono::seconds password_reset_ttl = std::chrono::minutes(15);
    /// Lifetime of email-verification tokens.
    std::chrono::seconds email_verification_ttl = std::chrono::hours(24);
    /// Lifetime of the token a password login answers with when its user has a second factor
    /// (TokenType::second_factor): the time to type the code or touch the passkey.
    std::chrono::seconds second_factor_ttl = std::chrono::minutes(5);
    /// `iss` written into every token and required on every token verified, when set.
    std::optional<std::string> issuer;
    /// `aud` written into every token and required on every token verified, when set.
    std::optional<std::string> audience;
    /// Clock skew tolerated on `exp`, `nbf` and `iat` alike.
    std::chrono::seconds leeway{0};
    /// Largest token accepted, in bytes; anything longer is refused before any decoding.
    std::size_t max_token_bytes = 8 * 1024;
    /// Time source; the system clock when empty.
    Clock clock;
    /// Where operational errors and security events go; standard error when empty.
    LogSink log;
    /// Receives security events (logins, refused tokens, 403s, reuse, revocations, throttling);
    /// when empty they go to `log` as JSON lines.
    SecurityEventSink security_events;
    /// Where fauth's instruments record (fauth/core/instruments.hpp): a PrometheusRegistry, the
    /// OpenTelemetry adapter, your own; nothing is measured when empty.
    std::shared_ptr<MetricsSink> metrics;

    /// Throws ConfigError naming the field to fix when the configuration is unusable.
    void validate() const;
    /// The current time from `clock`, or the system clock.
    std::chrono::system_clock::time_point now() const;
    /// Sends `message` to `log`, or to standard error when no log is set or it throws (never throws).
    void write_log(std::string_view message) const noexcept;
    /// Sends `event` to `security_events`, or as a JSON line to the log when that is not set.
    void report(const SecurityEvent& event) const;

private:
    void validate_secret() const;
};

}  // namespace fauth
