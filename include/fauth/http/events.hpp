/// @file
/// fauth/http/events.hpp — security events about HTTP requests (who, where, why).
#pragma once

#include <exception>
#include <string>

#include <pistache/http.h>

#include "fauth/auth/config.hpp"
#include "fauth/core/security_event.hpp"
#include "fauth/http/config.hpp"
#include "fauth/http/response.hpp"

namespace fauth::http {

/// An event of `type` about `request`, with its client address (as `http` trusts proxies) and path filled in.
SecurityEvent request_event(SecurityEventType type, const Pistache::Http::Request& request, const HttpConfig& http);

/// Reports why a request with a token was refused: token_refused for a bad, expired or revoked
/// token or an unknown user, access_denied for an inactive user or a missing role or permission.
/// The event's reason is the error's `what()` (e.g. "Invalid token: signature mismatch"), which
/// says more than the fixed detail the client gets. fauth's own failures (a loader error,
/// overload) are not security events and are not reported.
void report_refusal(const AuthConfig& config, const HttpConfig& http, const Pistache::Http::Request& request,
                    const Failure& failure, std::string subject = {});

/// report_refusal once the request is gone: `event` is request_event's record of it (its type is
/// set here).
void report_refusal(const AuthConfig& config, SecurityEvent event, const Failure& failure, std::string subject = {});

/// How refuse reports a failure.
enum class Report {
    refusal,  ///< as report_refusal: token_refused or access_denied by the failure's kind, fauth's own not at all
    attempt,  ///< the event as given (a login_failure), its reason the failure's log
    none,     ///< not at all (a throttle's own failure, a refusal already reported)
};

/// The one way a fauth endpoint refuses a request (guards, refresh, logout, login): reports
/// `failure` about `event` as `report` says (naming `subject` when known), then answers it in
/// fauth's format, a 401 with `challenge`.
void refuse(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, const Failure& failure, const Challenge& challenge,
            SecurityEvent event, Report report = Report::refusal, std::string subject = {}) noexcept;
/// refuse while the request is there, reported as a refusal.
void refuse(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, const HttpConfig& http, const Failure& failure,
            const Challenge& challenge, const Pistache::Http::Request& request, std::string subject = {}) noexcept;

}  // namespace fauth::http
