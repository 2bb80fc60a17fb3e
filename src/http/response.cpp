#include "fauth/http/response.hpp"

#include <algorithm>

#include "fauth/core/internal/ascii.hpp"
#include "html.hpp"

namespace fauth::http {

using Pistache::Http::Code;

Code status_of(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::invalid_token:
        case ErrorKind::token_expired:
        case ErrorKind::session_expired:
        case ErrorKind::invalid_api_key:
        case ErrorKind::invalid_dpop_proof:
        case ErrorKind::dpop_nonce_required:
        case ErrorKind::stale_token:
        case ErrorKind::invalid_credentials:
        case ErrorKind::user_not_found: return Code::Unauthorized;
        case ErrorKind::inactive_user:
        case ErrorKind::forbidden: return Code::Forbidden;
        case ErrorKind::bad_request: return Code::Bad_Request;
        case ErrorKind::throttled: return Code::Too_Many_Requests;
        case ErrorKind::unavailable: return Code::Service_Unavailable;
        case ErrorKind::internal: return Code::Internal_Server_Error;
    }
    return Code::Internal_Server_Error;
}

void send_json(Pistache::Http::ResponseWriter& writer, Code code, const nlohmann::json& body) {
    writer.send(code, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), MIME(Application, Json));
}

void send_detail(Pistache::Http::ResponseWriter& writer, Code code, std::string_view detail) {
    send_json(writer, code, nlohmann::json{{"detail", detail}});
}

void Challenge::add(std::string_view challenge) noexcept {
    for (auto& slot : others) {
        if (slot == challenge) return;
        if (slot.empty()) {
            slot = challenge;
            return;
        }
    }
}

std::string Challenge::header_value(std::string_view error) const {
    const std::string_view target = presented_by.empty() ? std::string_view("Bearer") : presented_by;
    bool metadata_said = resource_metadata.empty();
    std::string out;
    // One challenge (`Name` or `Name params`), with what this answer adds to it first.
    const auto emit = [&](std::string_view text) {
        const auto space = text.find(' ');
        const auto name = text.substr(0, space);
        std::string params;
        const auto param = [&params](std::string_view key, std::string_view value) {
            if (!params.empty()) params += ", ";
            params += key;
            params += "=\"";
            // A quoted-string (RFC 9110 5.6.4): none of fauth's values has a quote or a backslash,
            // but say them safely.
            for (const char c : value) {
                if (c == '"' || c == '\\') params += '\\';
                params += c;
            }
            params += '"';
        };
        const bool target_here = ascii_iequals(name, target);
        if (token_presented && target_here) {
            param("error", error);
            if (!scope.empty()) param("scope", scope);
            if (!acr_values.empty()) param("acr_values", acr_values);
            if (max_age) param("max_age", std::to_string(max_age->count()));
        }
        if (!metadata_said && (ascii_iequals(name, "Bearer") || ascii_iequals(name, "DPoP"))) {
            param("resource_metadata", resource_metadata);
            metadata_said = true;
        }
        if (space != std::string_view::npos) {
            if (!params.empty()) params += ", ";
            params += text.substr(space + 1);
        }
        if (!out.empty()) out += ", ";
        out += name;
        if (!params.empty()) out += ' ' + params;
    };
    const bool others_empty = std::all_of(others.begin(), others.end(), [](std::string_view o) { return o.empty(); });
    if (bearer || others_empty) emit("Bearer");
    for (const auto other : others)
        if (!other.empty()) emit(other);
    return out;
}

void send_error(Pistache::Http::ResponseWriter& writer, const Error& error, const Challenge& challenge, const LogSink& log) {
    send_failure(writer, error.failure(), challenge, log);
}

void send_failure(Pistache::Http::ResponseWriter& writer, const Failure& failure, const Challenge& challenge,
                  const LogSink& log) noexcept {
    try {
        const auto code = status_of(failure.kind);
        // RFC 9470: a token that is valid but not recent enough asks for a new login, not a new token.
        if (code == Code::Unauthorized)
            writer.headers().add<WwwAuthenticate>(
                challenge.header_value(failure.kind == ErrorKind::stale_token           ? "insufficient_user_authentication"
                                       : failure.kind == ErrorKind::invalid_dpop_proof  ? "invalid_dpop_proof"
                                       : failure.kind == ErrorKind::dpop_nonce_required ? "use_dpop_nonce"
                                                                                        : "invalid_token"));
        // RFC 6750 3.1: a token without the scopes the route needs; its client may ask for them.
        if (failure.kind == ErrorKind::forbidden && challenge.token_presented && !challenge.scope.empty())
            writer.headers().add<WwwAuthenticate>(challenge.header_value("insufficient_scope"));
        if (!challenge.dpop_nonce.empty()) writer.headers().add<DpopNonce>(challenge.dpop_nonce);
        if (failure.kind == ErrorKind::unavailable || failure.kind == ErrorKind::throttled)
            writer.headers().add<RetryAfter>(static_cast<long>(std::max(failure.retry_after, std::chrono::seconds(1)).count()));
        if (failure.kind == ErrorKind::internal) write_log(log, failure.log);
        send_detail(writer, code, failure.detail);
    } catch (...) {
        // The connection is gone or memory ran out: nothing more can be sent.
    }
}

void send_failure_page(Pistache::Http::ResponseWriter& writer, const Failure& failure, const LogSink& log) noexcept {
    try {
        if (failure.kind == ErrorKind::unavailable || failure.kind == ErrorKind::throttled)
            writer.headers().add<RetryAfter>(static_cast<long>(std::max(failure.retry_after, std::chrono::seconds(1)).count()));
        if (failure.kind == ErrorKind::internal) write_log(log, failure.log);
        writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
        writer.send(status_of(failure.kind),
                    "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>" + html_escape(failure.detail) +
                        "</title></head>\n<body>\n<h1>" + html_escape(failure.detail) +
                        "</h1>\n<p><a href=\"/\">Back</a></p>\n</body>\n</html>\n",
                    MIME(Text, Html));
    } catch (...) {
        // The connection is gone or memory ran out: nothing more can be sent.
    }
}

void send_exception(Pistache::Http::ResponseWriter& writer, std::exception_ptr failure, const Challenge& challenge,
                    const LogSink& log) noexcept {
    send_failure(writer, failure_of(std::move(failure), "request handler"), challenge, log);
}

void send_not_authenticated(Pistache::Http::ResponseWriter& writer, std::string_view resource_metadata) {
    send_not_authenticated(writer, Challenge(false, resource_metadata));
}

void send_not_authenticated(Pistache::Http::ResponseWriter& writer, const Challenge& challenge) {
    writer.headers().add<WwwAuthenticate>(challenge.header_value());
    if (!challenge.dpop_nonce.empty()) writer.headers().add<DpopNonce>(challenge.dpop_nonce);
    send_detail(writer, Code::Unauthorized, "Not authenticated");
}

}  // namespace fauth::http

namespace fauth::http {

void send_too_many_requests(Pistache::Http::ResponseWriter& writer, long retry_after_seconds) {
    send_error(writer, Throttled(std::chrono::seconds(retry_after_seconds)), {}, {});
}

}  // namespace fauth::http
