// fauth/http/session.hpp — the endpoints that continue and end sessions: refresh and logout.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/http/client_address.hpp"
#include "fauth/http/endpoint.hpp"
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

/// POST it at e.g. /refresh: reads {"refresh_token": "..."} (JSON, or the OAuth2 form
/// grant_type=refresh_token) and answers a new TokenResponse (the old refresh token is used up).
/// In order: a body over max_login_body_bytes gets 413; the client address is throttled (429 with
/// Retry-After, refresh_limits.per_client); a bad body gets 415 or 422; then the refresh pipeline:
/// 401 for an invalid, expired, revoked or reused refresh token, 429 when the session's own
/// budget (refresh_limits.per_family) is spent.
template <class User>
Endpoint refresh_endpoint(const AuthProvider<User>& auth) {
    Endpoint endpoint;
    endpoint.handler = Endpoint::guard_exceptions(
        [&auth](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const AuthConfig& config = auth.config();
            if (request.body().size() > config.max_login_body_bytes)
                return send_detail(writer, Pistache::Http::Code::Request_Entity_Too_Large, "Request body too large");
            const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
            const auto parsed = parse_refresh_request(type ? type->mime().toString() : std::string(), request.body());
            auto shared = std::make_shared<Pistache::Http::ResponseWriter>(std::move(writer));
            const auto client = throttle_client(client_address(request, config), config.ipv6_client_prefix);
            auth.throttle_login("refresh-client:" + client, config.refresh_limits.per_client)
                .then(
                    [&auth, shared, parsed](const ThrottleDecision& by_client) {
                        if (!by_client.allowed) return send_too_many_requests(*shared, static_cast<long>(by_client.retry_after.count()));
                        if (const auto* error = std::get_if<RequestError>(&parsed))
                            return send_detail(*shared, static_cast<Pistache::Http::Code>(error->status), error->detail);
                        auth.refresh(std::get<std::string>(parsed))
                            .then([shared](const TokenResponse& tokens) { send_token_response(*shared, tokens); },
                                  [&auth, shared](std::exception_ptr failure) { send_exception(*shared, failure, true, auth.config().log); });
                    },
                    [&auth, shared](std::exception_ptr failure) { send_exception(*shared, failure, true, auth.config().log); });
        },
        auth.config().log);
    endpoint.doc = refresh_route_doc();
    return endpoint;
}

/// POST it at e.g. /logout with the bearer access token: revokes that token and its session's
/// refresh family, then answers 204. No, a bad or an already revoked token: 401 as on any guarded
/// route (logout takes the same pipeline).
template <class User>
Endpoint logout_endpoint(const AuthProvider<User>& auth) {
    Endpoint endpoint;
    endpoint.access = Access::required;
    endpoint.handler = Endpoint::guard_exceptions(
        [&auth](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const auto credentials = bearer_of(request);
            const Challenge challenge{true, auth.config().resource_metadata_url};
            if (credentials.status == BearerCredentials::Status::absent)
                return send_not_authenticated(writer, challenge.resource_metadata);
            if (credentials.status == BearerCredentials::Status::malformed)
                return send_error(writer, InvalidToken("malformed Authorization header"), challenge, auth.config().log);
            auto shared = std::make_shared<Pistache::Http::ResponseWriter>(std::move(writer));
            auth.logout(credentials.token)
                .then([shared]() { shared->send(Pistache::Http::Code::No_Content); },
                      [&auth, shared, challenge](std::exception_ptr failure) { send_exception(*shared, failure, challenge, auth.config().log); });
        },
        auth.config().log);
    endpoint.doc = logout_route_doc();
    return endpoint;
}

}  // namespace fauth::http
