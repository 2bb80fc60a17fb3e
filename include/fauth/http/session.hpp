// fauth/http/session.hpp — the endpoints that continue and end sessions: refresh and logout.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/http/client_address.hpp"
#include "fauth/http/cookies.hpp"
#include "fauth/http/endpoint.hpp"
#include "fauth/http/events.hpp"
#include "fauth/http/guard.hpp"
#include "fauth/http/login.hpp"
#include "fauth/http/response.hpp"
#include "fauth/http/token_request.hpp"
#include "fauth/auth/provider.hpp"

namespace fauth::http {

/// The OpenAPI description of refresh_endpoint.
RouteDoc refresh_route_doc();
/// The OpenAPI description of logout_endpoint.
RouteDoc logout_route_doc();

/// What a refresh request carries: the refresh token (from the body, or the refresh cookie when
/// the body is empty and cookies are accepted) and how the new pair is to be handed over.
struct RefreshRequest {
    /// The refresh token, or why the body holds none (415, 422).
    std::variant<std::string, RequestError> token;
    /// The refresh cookie was there but unusable (sent twice, or not a token): 401.
    std::exception_ptr refusal;
    /// Cookies for a refresh by cookie, the JSON body otherwise.
    TokenDelivery delivery = TokenDelivery::body;
    /// A refresh by cookie must pass the CSRF checks, bound to the refresh token's session.
    CsrfEvidence evidence;
};

/// Reads a refresh request (see RefreshRequest).
RefreshRequest read_refresh_request(const Pistache::Http::Request& request, const AuthConfig& config);

/// POST it at e.g. /refresh: reads {"refresh_token": "..."} (JSON, or the OAuth2 form
/// grant_type=refresh_token) and answers a new TokenResponse (the old refresh token is used up);
/// with cookies accepted (AuthConfig::cookies), an empty body with the refresh cookie is answered
/// with new session cookies instead, once the request passes the CSRF checks.
/// In order: a body over max_login_body_bytes gets 413; the client address is throttled (429 with
/// Retry-After, refresh_limits.per_client); a bad body gets 415 or 422; then the refresh pipeline:
/// 401 for an invalid, expired, revoked or reused refresh token, 403 for a refresh by cookie from
/// a foreign origin or without the session's CSRF token, 429 when the session's own budget
/// (refresh_limits.per_family) is spent. A refusal's reason goes to the security events
/// (report_refusal); a refused token's client sees only "Invalid token".
template <class User>
Endpoint refresh_endpoint(const AuthProvider<User>& auth) {
    Endpoint endpoint;
    endpoint.reads_refresh_cookie = true;
    endpoint.handler = Endpoint::guard_exceptions(
        [&auth](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const AuthConfig& config = auth.config();
            if (request.body().size() > config.max_login_body_bytes)
                return send_detail(writer, Pistache::Http::Code::Request_Entity_Too_Large, "Request body too large");
            auto input = std::make_shared<RefreshRequest>(read_refresh_request(request, config));
            auto shared = std::make_shared<Pistache::Http::ResponseWriter>(std::move(writer));
            const auto client = throttle_client(client_address(request, config), config.ipv6_client_prefix);
            // A refused token's reason goes to the security events; the client gets the fixed detail.
            auto refuse = [&auth, shared, event = request_event(SecurityEventType::token_refused, request, config)](
                              std::exception_ptr failure) {
                report_refusal(auth.config(), event, failure);
                send_exception(*shared, failure, true, auth.config().log);
            };
            auth.throttle_login("refresh-client:" + client, config.refresh_limits.per_client)
                .then(
                    [&auth, shared, input, refuse](const ThrottleDecision& by_client) {
                        if (!by_client.allowed) return send_too_many_requests(*shared, static_cast<long>(by_client.retry_after.count()));
                        if (input->refusal) return refuse(input->refusal);
                        if (const auto* error = std::get_if<RequestError>(&input->token))
                            return send_detail(*shared, static_cast<Pistache::Http::Code>(error->status), error->detail);
                        const auto& token = std::get<std::string>(input->token);
                        // Before the token is used up: its signature tells its session, and a refresh
                        // by cookie must carry that session's CSRF token.
                        try {
                            check_csrf(input->evidence, token, TokenType::refresh, auth.tokens());
                        } catch (...) {
                            return refuse(std::current_exception());
                        }
                        auth.refresh(token).then(
                            [&auth, shared, delivery = input->delivery](const TokenResponse& tokens) {
                                send_tokens(*shared, tokens, delivery, auth.config(), auth.tokens());
                            },
                            refuse);
                    },
                    refuse);
        },
        auth.config().log);
    endpoint.doc = refresh_route_doc();
    return endpoint;
}

/// The credentials logout_endpoint ends the session of: a bearer header; else, with cookies
/// accepted, the refresh cookie when the request carries it (it outlives the access cookie);
/// else the access cookie. `type` is the token type they hold.
struct LogoutCredentials {
    /// The token and where it came from.
    Credentials credentials;
    /// An access token, or a refresh token from the refresh cookie.
    TokenType type = TokenType::access;
};

/// Reads the credentials of a logout request (see LogoutCredentials).
LogoutCredentials logout_credentials(const Pistache::Http::Request& request, const CookieSettings& settings);

/// POST it at e.g. /logout with the access token (bearer, or with cookies accepted the refresh
/// cookie or the access cookie; route it at or below CookieSettings::refresh_path then): revokes
/// the token's whole session, then answers 204 (clearing the session cookies when cookies are
/// accepted). No, a bad or an already revoked token: 401 as on any guarded route (logout takes the
/// same pipeline); by cookie, from a foreign origin or without the session's CSRF token: 403.
/// Refusals are reported as on a guarded route (report_refusal).
template <class User>
Endpoint logout_endpoint(const AuthProvider<User>& auth) {
    Endpoint endpoint;
    endpoint.access = Access::required;
    endpoint.reads_refresh_cookie = true;
    endpoint.handler = Endpoint::guard_exceptions(
        [&auth](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const AuthConfig& config = auth.config();
            const auto [credentials, type] = logout_credentials(request, config.cookies);
            const Challenge challenge{true, config.resource_metadata_url};
            if (credentials.status == BearerCredentials::Status::absent)
                return send_not_authenticated(writer, challenge.resource_metadata);
            // A refused token's reason goes to the security events; the client gets the fixed detail.
            auto event = request_event(SecurityEventType::token_refused, request, config);
            if (credentials.status == BearerCredentials::Status::malformed) {
                const auto failure = std::make_exception_ptr(malformed_credentials(credentials));
                report_refusal(config, std::move(event), failure);
                return send_exception(writer, failure, challenge, config.log);
            }
            try {
                check_csrf(csrf_evidence(request, credentials, config, /*changes_state=*/true), credentials.token, type,
                           auth.tokens());
            } catch (...) {
                report_refusal(config, std::move(event), std::current_exception());
                return send_exception(writer, std::current_exception(), challenge, config.log);
            }
            auto shared = std::make_shared<Pistache::Http::ResponseWriter>(std::move(writer));
            auth.logout(credentials.token, type)
                .then(
                    [&auth, shared]() {
                        if (auth.config().cookies.accepts_cookie()) clear_session_cookies(*shared, auth.config().cookies);
                        shared->send(Pistache::Http::Code::No_Content);
                    },
                    [&auth, shared, challenge, event = std::move(event)](std::exception_ptr failure) {
                        report_refusal(auth.config(), event, failure);
                        send_exception(*shared, failure, challenge, auth.config().log);
                    });
        },
        auth.config().log);
    endpoint.doc = logout_route_doc();
    return endpoint;
}

}  // namespace fauth::http
