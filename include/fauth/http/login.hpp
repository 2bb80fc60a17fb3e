// fauth/http/login.hpp — the login endpoint: credentials in, TokenResponse out.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/http/endpoint.hpp"
#include "fauth/http/token_request.hpp"
#include "fauth/http/response.hpp"
#include "fauth/provider.hpp"

namespace fauth::http {

/// The OpenAPI description of login_endpoint: form and JSON bodies, the token response, 401, 422.
RouteDoc login_route_doc();

/// Sends a token response with the no-store caching RFC 6749 section 5.1 requires.
void send_token_response(Pistache::Http::ResponseWriter& writer, const TokenResponse& tokens);

/// The login endpoint (POST it at the config's token_url): reads credentials from a form body
/// (Swagger UI's OAuth2 password flow; client credentials in an `Authorization: Basic` header are
/// ignored) or a JSON body, never from the query string; authenticates on the worker pool; answers
/// 200 with a TokenResponse, 401 "Invalid credentials", 403 "Inactive user", 415 or 422.
template <class User>
Endpoint login_endpoint(const AuthProvider<User>& auth) {
    Endpoint endpoint;
    endpoint.handler = Endpoint::guard_exceptions(
        [&auth](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
            auto parsed = parse_login_request(type ? type->mime().toString() : std::string(), request.body());
            if (auto* error = std::get_if<RequestError>(&parsed)) {
                send_detail(writer, static_cast<Pistache::Http::Code>(error->status), error->detail);
                return;
            }
            auto& credentials = std::get<LoginRequest>(parsed);
            auto shared = std::make_shared<Pistache::Http::ResponseWriter>(std::move(writer));
            auth.authenticate(std::move(credentials.username), std::move(credentials.password))
                .then(
                    [&auth, shared](const User& user) {
                        try {
                            send_token_response(*shared, auth.login(user_id(user)));
                        } catch (...) {
                            send_exception(*shared, std::current_exception(), false, auth.config().log);
                        }
                    },
                    [&auth, shared](std::exception_ptr failure) { send_exception(*shared, failure, false, auth.config().log); });
        },
        auth.config().log);
    endpoint.doc = login_route_doc();
    return endpoint;
}

}  // namespace fauth::http
