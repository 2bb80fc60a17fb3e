// fauth/core/errors.hpp — the typed errors every fauth operation fails with.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace fauth {

class KeyRing;

/// What went wrong, independent of any transport; the HTTP layer maps each kind to one status.
enum class ErrorKind {
    invalid_token,        ///< malformed, forged or unacceptable token (401)
    token_expired,        ///< well-formed token past its `exp` (401)
    invalid_credentials,  ///< unknown identifier, wrong password or no password set (401)
    user_not_found,       ///< the token's subject no longer exists (401)
    stale_token,          ///< a valid token, but the route wants one from a password login (401)
    inactive_user,        ///< the user exists but is deactivated (403)
    forbidden,            ///< a role or permission is missing (403)
    throttled,            ///< too many attempts from this client or on this session (429)
    unavailable,          ///< fauth is overloaded right now; retry later (503)
    internal,             ///< a loader or dependency failed; details are for logs only (500)
};

/// Base of fauth's request errors: `detail()` is safe to show a client and fixed per error class
/// (it never says which check failed); `what()` is for logs and security events and says why.
class Error : public std::runtime_error {
public:
    /// An error of `kind` whose client-facing message is `detail`; `log_message` defaults to it.
    Error(ErrorKind kind, std::string detail, const std::string& log_message = {});
    /// The kind of failure.
    ErrorKind kind() const noexcept { return kind_; }
    /// The message a client may see, in FAuth's wording, with nothing taken from the request.
    const std::string& detail() const noexcept { return detail_; }

private:
    ErrorKind kind_;
    std::string detail_;
};

/// A token that is malformed, forged, of the wrong type or otherwise unacceptable. Its detail is
/// always "Invalid token", so a client cannot learn which check failed (which algorithms or
/// issuers are trusted, that a session was revoked); `what()` is "Invalid token: " + reason.
class InvalidToken : public Error {
public:
    /// `reason` says which check failed, e.g. "signature mismatch"; it never contains the token.
    explicit InvalidToken(std::string reason);
    /// Which check failed: for logs and security events, never sent to a client.
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string reason_;
};

/// A token whose header names a `kid` that no key in the current key set has; a key ring that
/// can fetch keys (JWKS) is asked once, then the token is refused.
class UnknownKeyId : public InvalidToken {
public:
    /// `kid` as the token named it; `ring` the key ring that lacks it (a trusted issuer's, or the
    /// configuration's own `keys`).
    explicit UnknownKeyId(std::string kid, std::shared_ptr<KeyRing> ring = nullptr)
        : InvalidToken("unknown key id"), kid_(std::move(kid)), ring_(std::move(ring)) {}
    /// The key id the token named.
    const std::string& kid() const noexcept { return kid_; }
    /// The ring to refresh, when the thrower named one.
    const std::shared_ptr<KeyRing>& ring() const noexcept { return ring_; }

private:
    std::string kid_;
    std::shared_ptr<KeyRing> ring_;
};

/// An API key that is malformed, unknown, wrong, revoked or expired. Its detail is "Invalid API
/// key", except "API key revoked" and "API key expired", said only once the key itself matched;
/// `what()` is "invalid API key: " + reason.
class InvalidApiKey : public Error {
public:
    /// Which check failed: "malformed", "unknown", "mismatch", "revoked", "expired", "owner mismatch".
    explicit InvalidApiKey(const std::string& reason);
};

/// A token whose `exp` (plus leeway) has passed.
class TokenExpired : public Error {
public:
    /// "Token expired".
    TokenExpired();
};

/// A refresh token of a session older than the configured session lifetime: the user must log in.
class SessionExpired : public Error {
public:
    /// "Session expired".
    SessionExpired();
};

/// A valid token that no password login issued (one from a refresh), on a route for sensitive
/// actions that wants the user to have given their password just now.
class FreshTokenRequired : public Error {
public:
    /// "Fresh token required".
    FreshTokenRequired();
};

/// Unknown identifier, wrong password or a user without a password: one message for all three.
class InvalidCredentials : public Error {
public:
    /// "Invalid credentials".
    InvalidCredentials();
};

/// The subject of a valid token cannot be found any more.
class UserNotFound : public Error {
public:
    /// "User does not exist".
    UserNotFound();
};

/// The user is known but deactivated.
class InactiveUser : public Error {
public:
    /// "Inactive user".
    InactiveUser();
};

/// A required role or permission is missing; the message names it in FAuth's fixed form.
class Forbidden : public Error {
public:
    /// `detail` is e.g. "Missing role: admin": it names the route's own rule, nothing from the request.
    explicit Forbidden(std::string detail);
};

/// Too many attempts under one throttle key; the client may try again after `retry_after`.
class Throttled : public Error {
public:
    /// "Too many attempts; retry later"; `retry_after` is at least one second.
    explicit Throttled(std::chrono::seconds retry_after);
    /// How long until an attempt would be allowed.
    std::chrono::seconds retry_after() const noexcept { return retry_after_; }

private:
    std::chrono::seconds retry_after_;
};

/// fauth cannot take more work now (the password workers are busy for longer than a client
/// should wait); the client may try again after `retry_after`.
class Unavailable : public Error {
public:
    /// "Service unavailable"; `log_message` says what was saturated; `retry_after` is at least one second.
    explicit Unavailable(const std::string& log_message, std::chrono::seconds retry_after = std::chrono::seconds(1));
    /// When trying again may succeed.
    std::chrono::seconds retry_after() const noexcept { return retry_after_; }

private:
    std::chrono::seconds retry_after_;
};

/// A loader or dependency failed; clients see "Internal Server Error", logs see the cause.
class InternalError : public Error {
public:
    /// `log_message` describes the cause; it is never sent to a client.
    explicit InternalError(const std::string& log_message);
};

/// An unusable AuthConfig, reported when the provider is built; the message says what to fix.
class ConfigError : public std::invalid_argument {
public:
    /// `message` names the field and the fix.
    explicit ConfigError(const std::string& message);
};

}  // namespace fauth
