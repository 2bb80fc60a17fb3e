#include "fauth/http/response.hpp"

namespace fauth::http {

using Pistache::Http::Code;

Code status_of(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::invalid_token:
        case ErrorKind::token_expired:
        case ErrorKind::session_expired:
        case ErrorKind::invalid_api_key:
        case ErrorKind::stale_token:
        case ErrorKind::invalid_credentials:
        case ErrorKind::user_not_found: return Code::Unauthorized;
        case ErrorKind::inactive_user:
        case ErrorKind::forbidden: return Code::Forbidden;
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
    // The other schemes' challenges follow the Bearer one (or are the only ones).
    std::string rest;
    for (const auto other : others) {
        if (other.empty()) continue;
        if (!rest.empty()) rest += ", ";
        rest += other;
    }
    if (!bearer && !rest.empty()) return rest;
    std::string value = "Bearer";
    if (token_presented) {
        value += R"( error=")";
        value += error;
        value += '"';
    }
    if (!resource_metadata.empty()) {
        value += token_presented ? "," : "";
        // A quoted-string (RFC 9110 5.6.4): a URL has no quote or backslash, but say it safely.
        value += R"( resource_metadata=")";
        for (const char c : resource_metadata) {
            if (c == '"' || c == '\\') value += '\\';
            value += c;
        }
        value += '"';
    }
    if (!rest.empty()) value += ", " + rest;
    return value;
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
            writer.headers().add<WwwAuthenticate>(challenge.header_value(
                failure.kind == ErrorKind::stale_token ? "insufficient_user_authentication" : "invalid_token"));
        if (failure.kind == ErrorKind::unavailable || failure.kind == ErrorKind::throttled)
            writer.headers().add<RetryAfter>(static_cast<long>(std::max(failure.retry_after, std::chrono::seconds(1)).count()));
        if (failure.kind == ErrorKind::internal) write_log(log, failure.log);
        send_detail(writer, code, failure.detail);
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
    send_detail(writer, Code::Unauthorized, "Not authenticated");
}

}  // namespace fauth::http

namespace fauth::http {

void send_too_many_requests(Pistache::Http::ResponseWriter& writer, long retry_after_seconds) {
    send_error(writer, Throttled(std::chrono::seconds(retry_after_seconds)), {}, {});
}

}  // namespace fauth::http
