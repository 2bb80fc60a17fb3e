/// @file
/// fauth/http/session.hpp — the endpoints that continue and end sessions: refresh and logout.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/http/client_address.hpp"
#include "fauth/http/cookies.hpp"
#include "fauth/http/endpoint.hpp"
#include "fauth/http/events.hpp"
#include "fauth/http/scheme.hpp"
#include "fauth/http/login.hpp"
#include "fauth/http/response.hpp"
#include "fauth/http/schemes/dpop.hpp"
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
    std::optional<Failure> refusal;
    /// Cookies for a refresh by cookie, the JSON body otherwise.
    TokenDelivery delivery = TokenDelivery::body;
    /// The scheme that read the token (the refresh cookie), whose check it must pass (the CSRF
    /// checks, bound to the refresh token's session); null for a body.
    const CredentialScheme* scheme = nullptr;
};

/// Reads a refresh request (see RefreshRequest): `refresh_cookie` reads the refresh cookie (null
/// while cookies are not accepted).
RefreshRequest read_refresh_request(const Pistache::Http::Request& request, const CredentialScheme* refresh_cookie);

/// The refresh cookie's scheme under `config`, or null while cookies are not accepted.
std::shared_ptr<const CredentialScheme> refresh_cookie_scheme(const HttpConfig& config);

/// The schemes logout_endpoint reads, in order: the header schemes routes take by default (bearer,
/// DPoP as HttpConfig::dpop says); with cookies accepted, the refresh cookie (it outlives the
/// access cookie), then the access cookie.
SchemeList logout_schemes(const HttpConfig& config);

/// The check a pipeline's bind step makes for credentials `scheme` read from `request` at an
/// endpoint that changes state (refresh, logout): the request is kept, as the check may come
/// after the route handler has returned.
struct StateChangeCheck {
    /// The scheme that read the credentials; null: nothing to check (a refresh token in a body).
    const CredentialScheme* scheme = nullptr;
    /// What keeps `scheme` alive while the pipeline may still call the check (the endpoint's schemes).
    std::shared_ptr<const void> owner;
    /// A copy of the request, when there is a scheme.
    std::shared_ptr<const Pistache::Http::Request> request;
    /// The provider's codec.
    const TokenCodec* codec = nullptr;
    /// The response under way (its connection holds the client's TLS certificate), when known.
    std::shared_ptr<const Pistache::Http::ResponseWriter> response;
    /// Runs the scheme's check: success or its refusal, now or later.
    Outcome<void> operator()(const TokenPayload& token) const {
        if (scheme == nullptr) return {};
        return scheme->check(*request, token, {*codec, /*changes_state=*/true, response.get()});
    }
};

/// The bind step of refresh_endpoint: the refresh cookie's checks (StateChangeCheck), then the
/// session's DPoP binding (RFC 9449 sections 5 and 5.8): a refresh token bound to a key (`cnf.jkt`)
/// is exchanged only with a proof by that key, for POST and the endpoint's URL, without `ath` (a
/// refresh is a token request: no access token comes with it), that the replay cache has not
/// seen; whatever HttpConfig::dpop.mode says. With DpopMode::require, a refresh token in a body
/// must be bound. It runs once the token is verified, before the session's budget is counted and
/// before the token is used up: a refused proof leaves the refresh token as it was, usable by its
/// holder, and is not reuse (whoever sent it does not hold the key, which proves nothing about the
/// holder; revoking the session would let anyone who saw the token end it).
struct RefreshCheck {
    /// The refresh cookie's checks (nothing for a token in a body).
    StateChangeCheck cookie;
    /// How token-request proofs are judged (the endpoint's).
    std::shared_ptr<const DpopTokenProofs> dpop;
    /// What the request said about DPoP.
    DpopTokenRequest proof;
    /// Unbound refresh tokens are refused (DpopMode::require, a token in a body).
    bool bound_required = false;
    /// Runs the checks: success or the first refusal (InvalidDpopProof, InvalidToken, the
    /// cookie's Forbidden), now or later.
    Outcome<void> operator()(const TokenPayload& token) const;
};

/// POST it at, e.g., /refresh: reads {"refresh_token": "..."} (JSON, or the OAuth2 form
/// grant_type=refresh_token) and answers a new TokenResponse (the old refresh token is used up);
/// with cookies accepted (HttpConfig::cookies), an empty body with the refresh cookie is answered
/// with new session cookies instead, once the request passes the CSRF checks.
/// In order: a body over HttpConfig::max_token_request_bytes gets 413; the client address is throttled (429 with
/// Retry-After, refresh_limits.per_client); a bad body gets 415 or 422; then the refresh pipeline:
/// 401 for an invalid, expired, revoked or reused refresh token, 403 for a refresh by cookie from
/// a foreign origin or without the session's CSRF token (checked once the token is verified,
/// before the session's budget is counted), 429 when the session's own budget
/// (refresh_limits.per_family) is spent. A DPoP-bound refresh token (from a login with a proof)
/// needs a `DPoP` proof by its key (RefreshCheck: else 401 {"detail": "Invalid DPoP proof"} with
/// `WWW-Authenticate: DPoP error="invalid_dpop_proof", algs="..."`), and its new pair is bound to
/// the same key (`"token_type": "DPoP"`); a proof sent with an unbound refresh token is ignored.
/// Refusals go through refuse: the reason to the security events, the fixed detail to the client
/// ("Invalid token" for a refused token). The client address (as throttles count it) is recorded
/// as the session's last client (AuthProvider::refresh).
template <class User>
Endpoint refresh_endpoint(const AuthProvider<User>& auth) {
    Endpoint endpoint;
    endpoint.reads_refresh_cookie = true;
    endpoint.make = [&auth](const std::shared_ptr<const HttpConfig>& http) {
        auto cookie = refresh_cookie_scheme(*http);
        if (cookie) cookie->check_route({.secret_key = !auth.config().tokens.secret_key.empty()});
        // Whatever the mode: a bound refresh token is never exchanged without its key's proof.
        auto proofs = std::make_shared<const DpopTokenProofs>(scheme_settings(*http));
        return Endpoint::guard_exceptions(
            [&auth, http, cookie, proofs](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
                const AuthConfig& config = auth.config();
                if (request.body().size() > http->max_token_request_bytes)
                    return send_detail(writer, Pistache::Http::Code::Request_Entity_Too_Large, "Request body too large");
                auto input = std::make_shared<RefreshRequest>(read_refresh_request(request, cookie.get()));
                auto shared = std::make_shared<Pistache::Http::ResponseWriter>(std::move(writer));
                const auto client = throttle_client(client_address(request, *http), http->ipv6_client_prefix);
                RefreshCheck check{{input->scheme, cookie, nullptr, &auth.tokens(), shared},
                                   proofs,
                                   proofs->read(request),
                                   http->dpop.mode == DpopMode::require && input->scheme == nullptr};
                if (check.cookie.scheme != nullptr)
                    check.cookie.request = std::make_shared<const Pistache::Http::Request>(request);
                auto refused = [&auth, http, proofs, shared,
                                event = request_event(SecurityEventType::token_refused, request, *http)](const Failure& failure) {
                    auth.engine().instruments().refresh_attempts.add(instruments::Result::failure,
                                                                     instruments::error_type(failure.kind));
                    if (failure.kind == ErrorKind::invalid_dpop_proof || failure.kind == ErrorKind::dpop_nonce_required)
                        return refuse(*shared, auth.config(), failure, proofs->challenge(http->resource_metadata_url), event);
                    refuse(*shared, auth.config(), failure, true, event);
                };
                auto failed = [refused](std::exception_ptr failure) { refused(failure_of(std::move(failure), "refresh")); };
                auth.count_attempt(instruments::throttle_key(instruments::ThrottleBucket::refresh_client, client),
                                   config.refresh_limits.per_client)
                    .then(
                        [&auth, http, shared, input, refused, failed, client,
                         check = std::move(check)](const ThrottleDecision& by_client) {
                            if (!by_client.allowed) {
                                auth.engine().instruments().refresh_attempts.add(instruments::Result::failure,
                                                                                 instruments::error_type(ErrorKind::throttled));
                                return send_too_many_requests(*shared, static_cast<long>(by_client.retry_after.count()));
                            }
                            if (input->refusal) return refused(*input->refusal);
                            if (const auto* error = std::get_if<RequestError>(&input->token))
                                return send_detail(*shared, static_cast<Pistache::Http::Code>(error->status), error->detail);
                            auth.refresh(std::get<std::string>(input->token), check, client)
                                .then(
                                    [&auth, http, shared, delivery = input->delivery](const TokenResponse& tokens) {
                                        auth.engine().instruments().refresh_attempts.add(instruments::Result::success,
                                                                                         instruments::ErrorType::none);
                                        send_tokens(*shared, tokens, delivery, http->cookies, auth.tokens());
                                    },
                                    failed);
                        },
                        failed);
            },
            auth.config().tokens.log);
    };
    endpoint.doc = refresh_route_doc();
    return endpoint;
}

/// POST it at, e.g., /logout with the access token (bearer, or with cookies accepted the refresh
/// cookie or the access cookie: logout_schemes; route it at or below CookieSettings::refresh_path
/// then): revokes the token's whole session, then answers 204 (clearing the session cookies when
/// cookies are accepted). No, a bad or an already revoked token: 401 as on any guarded route
/// (logout takes the same pipeline); by cookie, from a foreign origin or without the session's
/// CSRF token: 403. Refusals go through refuse, as on a guarded route.
template <class User>
Endpoint logout_endpoint(const AuthProvider<User>& auth) {
    Endpoint endpoint;
    endpoint.access = Access::required;
    endpoint.reads_refresh_cookie = true;
    endpoint.make = [&auth](const std::shared_ptr<const HttpConfig>& http) {
        auto schemes = std::make_shared<const SchemeList>(logout_schemes(*http));
        for (const auto& scheme : *schemes) scheme->check_route({.secret_key = !auth.config().tokens.secret_key.empty()});
        return Endpoint::guard_exceptions(
            [&auth, http, schemes](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
                const AuthConfig& config = auth.config();
                auto credentials = read_credentials(request, *schemes);
                const Challenge challenge{true, http->resource_metadata_url};
                if (credentials.status == Credentials::Status::absent)
                    return send_not_authenticated(writer, challenge.resource_metadata);
                if (credentials.status == Credentials::Status::malformed)
                    return refuse(writer, config, *http, credentials.scheme->malformed(), challenge, request);
                auto shared = std::make_shared<Pistache::Http::ResponseWriter>(std::move(writer));
                StateChangeCheck check{credentials.scheme, schemes, std::make_shared<const Pistache::Http::Request>(request),
                                       &auth.tokens(), shared};
                auth.logout(credentials.token, credentials.type, std::move(check))
                    .then(
                        [http, shared]() {
                            if (http->cookies.accepts_cookie()) clear_session_cookies(*shared, http->cookies);
                            shared->send(Pistache::Http::Code::No_Content);
                        },
                        [&auth, shared, challenge,
                         event = request_event(SecurityEventType::token_refused, request, *http)](std::exception_ptr failure) {
                            refuse(*shared, auth.config(), failure_of(std::move(failure), "logout"), challenge, event);
                        });
            },
            auth.config().tokens.log);
    };
    endpoint.doc = logout_route_doc();
    return endpoint;
}

}  // namespace fauth::http
