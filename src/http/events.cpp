#include "fauth/http/events.hpp"

#include "fauth/core/errors.hpp"
#include "fauth/http/client_address.hpp"
#include "fauth/http/trace_context.hpp"

namespace fauth::http {

SecurityEvent request_event(SecurityEventType type, const Pistache::Http::Request& request, const HttpConfig& http) {
    SecurityEvent event{.type = type};
    event.client = client_address(request, http);
    event.path = request.resource();
    // Pistache keeps the first of repeated headers: one traceparent is all the standard allows.
    if (const auto traceparent = request.headers().tryGetRaw("traceparent")) event.trace_id = trace_id_of(traceparent->value());
    return event;
}

void report_refusal(const AuthConfig& config, const HttpConfig& http, const Pistache::Http::Request& request,
                    const Failure& failure, std::string subject) {
    try {
        report_refusal(config, request_event(SecurityEventType::token_refused, request, http), failure, std::move(subject));
    } catch (...) {}
}

void report_refusal(const AuthConfig& config, SecurityEvent event, const Failure& failure, std::string subject) {
    switch (failure.kind) {
        case ErrorKind::invalid_token:
        case ErrorKind::token_expired:
        case ErrorKind::session_expired:
        case ErrorKind::invalid_api_key:
        case ErrorKind::invalid_dpop_proof:
        case ErrorKind::dpop_nonce_required:
        case ErrorKind::stale_token:
        case ErrorKind::user_not_found:
        case ErrorKind::invalid_credentials: event.type = SecurityEventType::token_refused; break;
        case ErrorKind::inactive_user:
        case ErrorKind::forbidden: event.type = SecurityEventType::access_denied; break;
        case ErrorKind::bad_request:  // reported by what refused it (refuse_sign_in)
        case ErrorKind::throttled:
        case ErrorKind::unavailable:
        case ErrorKind::internal: return;  // fauth's own failures are not security events
    }
    try {
        event.reason = failure.log;
        event.subject = std::move(subject);
        config.report(event);
    } catch (...) {}
}

void refuse(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, const Failure& failure, const Challenge& challenge,
            SecurityEvent event, Report report, std::string subject) noexcept {
    try {
        if (report == Report::refusal) {
            report_refusal(config, std::move(event), failure, std::move(subject));
        } else if (report == Report::attempt) {
            event.reason = failure.log;
            if (!subject.empty()) event.subject = std::move(subject);
            config.report(event);
        }
    } catch (...) {
        // A report that cannot be made (no memory) does not keep the answer back.
    }
    send_failure(writer, failure, challenge, config.tokens.log);
}

void refuse(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, const HttpConfig& http, const Failure& failure,
            const Challenge& challenge, const Pistache::Http::Request& request, std::string subject) noexcept {
    report_refusal(config, http, request, failure, std::move(subject));
    send_failure(writer, failure, challenge, config.tokens.log);
}

}  // namespace fauth::http
