#include "fauth/http/events.hpp"

#include "fauth/core/errors.hpp"
#include "fauth/http/client_address.hpp"

namespace fauth::http {

SecurityEvent request_event(SecurityEventType type, const Pistache::Http::Request& request, const HttpConfig& http) {
    SecurityEvent event{.type = type};
    event.client = client_address(request, http);
    event.path = request.resource();
    return event;
}

void report_refusal(const AuthConfig& config, const HttpConfig& http, const Pistache::Http::Request& request,
                    std::exception_ptr failure, std::string subject) {
    try {
        report_refusal(config, request_event(SecurityEventType::token_refused, request, http), std::move(failure),
                       std::move(subject));
    } catch (...) {
    }
}

void report_refusal(const AuthConfig& config, SecurityEvent event, std::exception_ptr failure, std::string subject) {
    try {
        std::rethrow_exception(failure);
    } catch (const Error& e) {
        SecurityEventType type;
        switch (e.kind()) {
            case ErrorKind::invalid_token:
            case ErrorKind::token_expired:
            case ErrorKind::stale_token:
            case ErrorKind::user_not_found:
            case ErrorKind::invalid_credentials: type = SecurityEventType::token_refused; break;
            case ErrorKind::inactive_user:
            case ErrorKind::forbidden: type = SecurityEventType::access_denied; break;
            default: return;
        }
        event.type = type;
        event.reason = e.what();
        event.subject = std::move(subject);
        config.report(event);
    } catch (...) {
    }
}

void refuse(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, std::exception_ptr failure,
            const Challenge& challenge, SecurityEvent event, Report report, std::string subject) noexcept {
    try {
        if (report == Report::refusal) {
            report_refusal(config, std::move(event), failure, std::move(subject));
        } else if (report == Report::attempt) {
            try {
                std::rethrow_exception(failure);
            } catch (const Error& e) {
                event.reason = e.what();
            } catch (...) {
            }
            if (!subject.empty()) event.subject = std::move(subject);
            config.report(event);
        }
    } catch (...) {
        // A report that cannot be made (no memory) does not keep the answer back.
    }
    send_exception(writer, failure, challenge, config.tokens.log);
}

void refuse(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, const HttpConfig& http, std::exception_ptr failure,
            const Challenge& challenge, const Pistache::Http::Request& request, std::string subject) noexcept {
    report_refusal(config, http, request, failure, std::move(subject));
    send_exception(writer, failure, challenge, config.tokens.log);
}

}  // namespace fauth::http
