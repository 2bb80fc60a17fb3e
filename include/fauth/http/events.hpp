// fauth/http/events.hpp — security events about HTTP requests (who, where, why).
#pragma once

#include <exception>
#include <string>

#include <pistache/http.h>

#include "fauth/auth/config.hpp"
#include "fauth/core/security_event.hpp"

namespace fauth::http {

/// An event of `type` about `request`, with its client address and path filled in.
SecurityEvent request_event(SecurityEventType type, const Pistache::Http::Request& request, const AuthConfig& config);

/// Reports why a request with a token was refused: token_refused for a bad, expired or revoked
/// token or an unknown user, access_denied for an inactive user or a missing role or permission.
/// The event's reason is the error's `what()` (e.g. "Invalid token: signature mismatch"), which
/// says more than the fixed detail the client gets. fauth's own failures (a loader error,
/// overload) are not security events and are not reported.
void report_refusal(const AuthConfig& config, const Pistache::Http::Request& request, std::exception_ptr failure,
                    std::string subject = {});

/// report_refusal once the request is gone: `event` is request_event's record of it (its type is
/// set here).
void report_refusal(const AuthConfig& config, SecurityEvent event, std::exception_ptr failure, std::string subject = {});

}  // namespace fauth::http
