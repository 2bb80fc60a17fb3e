/// @file
/// fauth/core/errors.hpp — the typed errors every fauth operation fails with.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

/// Everything fauth declares outside its HTTP layer (fauth::http), its fetching from identity
/// providers (fauth::oidc) and its test kit (fauth::testing).
namespace fauth {

class KeyRing;

/// What went wrong, independent of any transport; the HTTP layer maps each kind to one status.
enum class ErrorKind {
    invalid_token,        ///< malformed, forged or unacceptable token (401)
    token_expired,        ///< well-formed token past its `exp` (401)
    session_expired,      ///< a refresh token of a session older than its lifetime (401)
    invalid_api_key,      ///< an API key that is malformed, unknown, wrong, revoked or expired (401)
    invalid_dpop_proof,   ///< a DPoP proof (RFC 9449) that is missing, malformed, forged, stale or replayed (401)
    dpop_nonce_required,  ///< a DPoP proof without the server's current nonce (401 use_dpop_nonce, with a fresh one)
    invalid_credentials,  ///< unknown identifier, wrong password or no password set (401)
    user_not_found,       ///< the token's subject no longer exists (401)
    stale_token,          ///< a valid token, but the route wants one from a password login (401)
    inactive_user,        ///< the user exists but is deactivated (403)
    forbidden,            ///< a role or permission is missing (403)
    bad_request,          ///< a request fauth cannot act on: a sign-in's callback, a logout token (400)
    throttled,            ///< too many attempts from this client or on this session (429)
    unavailable,          ///< fauth is overloaded right now; retry later (503)
    internal,             ///< a loader or dependency failed; details are for logs only (500)
};

/// Why an operation failed, as a value: what fauth's pipeline hands on instead of an exception.
/// Each kind has one exception class (Failure::with_error); a Failure and its exception say the same.
struct Failure {
    /// The kind of failure: it decides the HTTP status and the security event.
    ErrorKind kind = ErrorKind::internal;
    /// The message a client may see, in FAuth's wording, with nothing taken from the request.
    std::string detail;
    /// For logs and security events: says why (an exception's `what()`).
    std::string log;
    /// For throttled and unavailable: when trying again may succeed (zero otherwise).
    std::chrono::seconds retry_after{0};

    /// Calls `use(error)` with this failure as the exception class of its kind (InvalidToken,
    /// Throttled, ...), and returns what it returns: for APIs that report failures by exception.
    template <class Use>
    decltype(auto) with_error(Use&& use) const;
    /// This failure as an exception of its kind's class.
    std::exception_ptr exception() const;
};

/// The failure in `thrown` (a fauth::Error keeps its kind, detail and log; anything else is
/// internal, logged as "`context` failed: what()"): how failures of your code enter fauth.
Failure failure_of(std::exception_ptr thrown, std::string_view context) noexcept;

/// Base of fauth's request errors: `detail()` is safe to show a client and fixed per error class
/// (it never says which check failed); `what()` is for logs and security events and says why.
class Error : public std::runtime_error {
public:
    /// An error of `kind` whose client-facing message is `detail`; `log_message` defaults to it.
    Error(ErrorKind kind, std::string detail, const std::string& log_message = {});
    /// The error `failure` describes.
    explicit Error(Failure failure);
    /// The kind of failure.
    ErrorKind kind() const noexcept { return failure_.kind; }
    /// The message a client may see, in FAuth's wording, with nothing taken from the request.
    const std::string& detail() const noexcept { return failure_.detail; }
    /// The same error as a value.
    const Failure& failure() const noexcept { return failure_; }

protected:
    /// Sets when trying again may succeed (Throttled, Unavailable).
    void set_retry_after(std::chrono::seconds retry_after) noexcept { failure_.retry_after = retry_after; }

private:
    Failure failure_;
};

/// A token that is malformed, forged, of the wrong type or otherwise unacceptable. Its detail is
/// always "Invalid token", so a client cannot learn which check failed (which algorithms or
/// issuers are trusted, that a session was revoked); `what()` is "Invalid token: " + reason.
class InvalidToken : public Error {
public:
    /// `reason` says which check failed, e.g. "signature mismatch"; it never contains the token.
    explicit InvalidToken(std::string reason);
    /// The error `failure` (of kind invalid_token) describes.
    explicit InvalidToken(Failure failure);
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
    /// The error `failure` (of kind invalid_api_key) describes.
    explicit InvalidApiKey(Failure failure) : Error(std::move(failure)) {}
};

/// A DPoP proof (RFC 9449) that is missing, malformed, forged, for another request, stale,
/// replayed, or by a key other than the token's. Its detail is always "Invalid DPoP proof";
/// `what()` is "invalid DPoP proof: " + reason. Answered 401 with `DPoP error="invalid_dpop_proof"`.
class InvalidDpopProof : public Error {
public:
    /// `reason` says which check failed, e.g. "htu mismatch"; it never contains the proof.
    explicit InvalidDpopProof(const std::string& reason);
    /// The error `failure` (of kind invalid_dpop_proof) describes.
    explicit InvalidDpopProof(Failure failure) : Error(std::move(failure)) {}
};

/// A DPoP proof without the server nonce it asks for, or with a stale one (RFC 9449 section 9):
/// answered 401 with `DPoP error="use_dpop_nonce"` and a fresh nonce in `DPoP-Nonce`, which the
/// client puts in its next proof. Its detail is "DPoP nonce required".
class DpopNonceRequired : public Error {
public:
    /// `reason` for logs: "no nonce", "stale or unknown nonce".
    explicit DpopNonceRequired(const std::string& reason);
    /// The error `failure` (of kind dpop_nonce_required) describes.
    explicit DpopNonceRequired(Failure failure) : Error(std::move(failure)) {}
};

/// A token whose `exp` (plus leeway) has passed.
class TokenExpired : public Error {
public:
    /// "Token expired".
    TokenExpired();
    /// The error `failure` describes.
    explicit TokenExpired(Failure failure) : Error(std::move(failure)) {}
};

/// A refresh token of a session older than the configured session lifetime: the user must log in.
class SessionExpired : public Error {
public:
    /// "Session expired".
    SessionExpired();
    /// The error `failure` describes.
    explicit SessionExpired(Failure failure) : Error(std::move(failure)) {}
};

/// A valid token that no password login issued (one from a refresh), on a route for sensitive
/// actions that wants the user to have given their password just now.
class FreshTokenRequired : public Error {
public:
    /// "Fresh token required".
    FreshTokenRequired();
    /// The error `failure` describes.
    explicit FreshTokenRequired(Failure failure) : Error(std::move(failure)) {}
};

/// Unknown identifier, wrong password or a user without a password: one message for all three.
class InvalidCredentials : public Error {
public:
    /// "Invalid credentials".
    InvalidCredentials();
    /// The error `failure` describes.
    explicit InvalidCredentials(Failure failure) : Error(std::move(failure)) {}
};

/// The subject of a valid token cannot be found any more.
class UserNotFound : public Error {
public:
    /// "User does not exist".
    UserNotFound();
    /// The error `failure` describes.
    explicit UserNotFound(Failure failure) : Error(std::move(failure)) {}
};

/// The user is known but deactivated.
class InactiveUser : public Error {
public:
    /// "Inactive user".
    InactiveUser();
    /// The error `failure` describes.
    explicit InactiveUser(Failure failure) : Error(std::move(failure)) {}
};

/// A required role or permission is missing; the message names it in FAuth's fixed form.
class Forbidden : public Error {
public:
    /// `detail` is e.g. "Missing role: admin": it names the route's own rule, nothing from the request.
    explicit Forbidden(std::string detail);
    /// The error `failure` (of kind forbidden) describes.
    explicit Forbidden(Failure failure) : Error(std::move(failure)) {}
};

/// A request fauth cannot act on, answered 400: a sign-in at an external provider that cannot be
/// completed (a missing or mismatched state, the provider's error, a code it refused, an ID token
/// that fails its checks), a back-channel logout token refused.
class BadRequest : public Error {
public:
    /// `detail` for the client (fixed per check, nothing from the request); `log_message` says why.
    BadRequest(std::string detail, const std::string& log_message);
    /// The error `failure` (of kind bad_request) describes.
    explicit BadRequest(Failure failure) : Error(std::move(failure)) {}
};

/// Too many attempts under one throttle key; the client may try again after `retry_after`.
class Throttled : public Error {
public:
    /// "Too many attempts; retry later"; `retry_after` is at least one second.
    explicit Throttled(std::chrono::seconds retry_after);
    /// The error `failure` (of kind throttled) describes.
    explicit Throttled(Failure failure) : Error(std::move(failure)) {}
    /// How long until an attempt would be allowed.
    std::chrono::seconds retry_after() const noexcept { return failure().retry_after; }
};

/// fauth cannot take more work now (the password workers are busy for longer than a client
/// should wait); the client may try again after `retry_after`.
class Unavailable : public Error {
public:
    /// "Service unavailable"; `log_message` says what was saturated; `retry_after` is at least one second.
    explicit Unavailable(const std::string& log_message, std::chrono::seconds retry_after = std::chrono::seconds(1));
    /// The error `failure` (of kind unavailable) describes.
    explicit Unavailable(Failure failure) : Error(std::move(failure)) {}
    /// When trying again may succeed.
    std::chrono::seconds retry_after() const noexcept { return failure().retry_after; }
};

/// A loader or dependency failed; clients see "Internal Server Error", logs see the cause.
class InternalError : public Error {
public:
    /// `log_message` describes the cause; it is never sent to a client.
    explicit InternalError(const std::string& log_message);
    /// The error `failure` (of kind internal) describes.
    explicit InternalError(Failure failure) : Error(std::move(failure)) {}
};

/// An unusable AuthConfig, reported when the provider is built; the message says what to fix.
class ConfigError : public std::invalid_argument {
public:
    /// `message` names the field and the fix.
    explicit ConfigError(const std::string& message);
};

template <class Use>
decltype(auto) Failure::with_error(Use&& use) const {
    // One class per kind: a kind added to ErrorKind without a case here fails to compile (-Wswitch).
    switch (kind) {
        case ErrorKind::invalid_token: return use(InvalidToken(*this));
        case ErrorKind::token_expired: return use(TokenExpired(*this));
        case ErrorKind::session_expired: return use(SessionExpired(*this));
        case ErrorKind::invalid_api_key: return use(InvalidApiKey(*this));
        case ErrorKind::invalid_dpop_proof: return use(InvalidDpopProof(*this));
        case ErrorKind::dpop_nonce_required: return use(DpopNonceRequired(*this));
        case ErrorKind::invalid_credentials: return use(InvalidCredentials(*this));
        case ErrorKind::user_not_found: return use(UserNotFound(*this));
        case ErrorKind::stale_token: return use(FreshTokenRequired(*this));
        case ErrorKind::inactive_user: return use(InactiveUser(*this));
        case ErrorKind::forbidden: return use(Forbidden(*this));
        case ErrorKind::bad_request: return use(BadRequest(*this));
        case ErrorKind::throttled: return use(Throttled(*this));
        case ErrorKind::unavailable: return use(Unavailable(*this));
        case ErrorKind::internal: break;
    }
    return use(InternalError(*this));
}

}  // namespace fauth
