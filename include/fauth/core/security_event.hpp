/// @file
/// fauth/core/security_event.hpp — what fauth reports for audit: logins, refused tokens, denied access,
/// refresh-token reuse, revocations and throttling, as structured records and JSON lines. A
/// record never holds a token, a password or a hash.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace fauth {

/// The kinds of security event.
enum class SecurityEventType {
    login_success,           ///< a password login succeeded
    login_failure,           ///< a password login failed (reason: invalid_credentials, inactive_user, ...)
    token_refused,           ///< a bearer or refresh token was refused (reason: why)
    access_denied,           ///< an authenticated user lacked a role or permission, or is inactive (403)
    refresh_reuse,           ///< a used refresh token came back; its session family was revoked
    revoked,                 ///< a logout or revoke_all ended sessions
    throttled,               ///< a login attempt was refused with 429
    second_factor_required,  ///< a password was right, and the login waits for the user's second factor
};

/// The wire name of an event type, e.g. "login_failure".
std::string_view to_string(SecurityEventType type) noexcept;

/// One security event. Fields that do not apply are empty.
struct SecurityEvent {
    /// What happened.
    SecurityEventType type;
    /// Why, in a few words, more than a client is told (e.g., "Invalid token: signature mismatch",
    /// "Missing role: admin").
    std::string reason;
    /// The user id, when known.
    std::string subject;
    /// The login name that was tried (login events only): as typed when the login succeeded,
    /// otherwise its keyed digest "hmac:..." (fauth::http::logged_identifier).
    std::string identifier;
    /// The client's address.
    std::string client;
    /// The request path.
    std::string path;
    /// The W3C trace id (32 lowercase hex digits) of the request's `traceparent` header, when it had a valid one.
    std::string trace_id;
    /// When it happened.
    std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
};

/// The event as one JSON line: {"time":"2026-11-23T10:00:00.123Z","event":"login_failure",...}.
std::string to_json_line(const SecurityEvent& event);

/// Receives security events; called on whichever thread the event happened, so it must be
/// thread-safe and quick.
using SecurityEventSink = std::function<void(const SecurityEvent&)>;

}  // namespace fauth
