/// @file
/// fauth/http/login.hpp — the login endpoint: credentials in, TokenResponse out, throttled per
/// client address, per client address and login name, and per login name, with a security event
/// for every attempt.
#pragma once

#include <functional>

#include <memory>
#include <string>
#include <variant>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/http/client_address.hpp"
#include "fauth/http/cookies.hpp"
#include "fauth/http/endpoint.hpp"
#include "fauth/http/events.hpp"
#include "fauth/http/response.hpp"
#include "fauth/http/schemes/dpop.hpp"
#include "fauth/http/token_request.hpp"
#include "fauth/auth/provider.hpp"

namespace fauth::http {

/// The OpenAPI description of login_endpoint: form and JSON bodies, the token response (or, for
/// TokenDelivery::cookies, the session cookies), 401, 403, 413, 422, 429.
RouteDoc login_route_doc(TokenDelivery delivery = TokenDelivery::body);

/// The OpenAPI schema of a sign-in's answer: the TokenResponse, or for TokenDelivery::cookies the
/// body that goes with the session cookies (token_type "cookie", expires_in, csrf_token).
nlohmann::json token_answer_schema(TokenDelivery delivery);

/// The OpenAPI Parameter Object of a token request's optional `DPoP` header (RFC 9449 section 5),
/// described as `description` says.
nlohmann::json dpop_header_parameter(std::string_view description);

/// Sends a token response with the caching headers RFC 6749 section 5.1 requires
/// (`Cache-Control: no-store`, `Pragma: no-cache`).
void send_token_response(Pistache::Http::ResponseWriter& writer, const TokenResponse& tokens);

/// The request's User-Agent header as sent, or empty (a session records it, bounded: SessionRecord).
std::string user_agent_of(const Pistache::Http::Request& request);

/// The throttle key of a login name: "identifier:" and the SHA-256 (hex) of the name with ASCII
/// letters lower-cased, so that a key has the same size however long the name, and a store such
/// as Redis never holds login names.
std::string identifier_key(std::string_view username);
/// The throttle key of one client trying one login name: "client-identifier:", the client
/// (see throttle_client), a space and the SHA-256 (hex) of the name with ASCII letters lower-cased.
std::string client_identifier_key(std::string_view client, std::string_view username);

/// How a login name appears in the security events of attempts that did not succeed: "hmac:" and
/// a keyed digest (the token secret) of the name with ASCII letters lower-cased, so that a
/// password typed into the name field never reaches a log while the attempts on one name can
/// still be told apart; empty without a secret_key. Successful logins name the user as typed.
std::string logged_identifier(const TokenCodec& codec, std::string_view username);

/// True when the login endpoint gives and honours device cookies (HttpConfig::device_cookie):
/// a device cookie is named and `codec`'s secret_key signs them.
bool device_cookies_on(const HttpConfig& http, const TokenCodec& codec) noexcept;
/// A new device cookie value for login name `username` (ASCII letters compared lower-cased),
/// issued at `issued` (Unix seconds): a random 128-bit device id, the time, and a keyed digest of
/// both and the name under the token secret.
std::string device_cookie_value(const TokenCodec& codec, std::string_view username, std::int64_t issued);
/// The device id of `value` when it is a device cookie for `username` issued no more than
/// `lifetime` before `now` (and not after it); empty otherwise, whatever `value` holds.
std::string device_of(const TokenCodec& codec, std::string_view value, std::string_view username, std::int64_t now,
                      std::chrono::seconds lifetime) noexcept;
/// Adds a new device cookie for `username` to `writer`, sent back only to `path` (the login
/// endpoint's).
void add_device_cookie(Pistache::Http::ResponseWriter& writer, const HttpConfig& config, const TokenCodec& codec,
                       std::string_view username, std::string path);

/// The detail of the password step's answer when the user has a second factor.
inline constexpr const char* kSecondFactorRequired = "Second factor required";

/// Answers the password step of a user with a second factor: 403 {"detail": "Second factor
/// required", "second_factor_token": token, "factors": ["totp", "recovery_code"]}, not cached. A
/// client that knows nothing of second factors fails closed (no access token).
void send_second_factor_required(Pistache::Http::ResponseWriter& writer, const std::string& token);

/// The password step's second-factor token for `user_sub` (TokenType::second_factor,
/// TokenConfig::second_factor_ttl), bound to the DPoP key `jkt` of the login's proof when there was one.
std::string second_factor_token(const TokenCodec& codec, const std::string& user_sub, std::string_view jkt);

/// A sign-in under way at an endpoint that proves the user in its own way (a login's second
/// step, a passkey): where it is answered, its security event, the client address (as throttles
/// count it) and User-Agent its session is recorded with, and the DPoP key its tokens are bound to.
struct SignInAttempt {
    /// The answer.
    Pistache::Http::ResponseWriter writer;
    /// Its security event: a login_failure until the user is proved.
    SecurityEvent event;
    /// The client address as throttles count it.
    std::string client;
    /// The request's User-Agent.
    std::string user_agent;
    /// The RFC 7638 thumbprint of the DPoP key the tokens are bound to, or empty.
    std::string jkt;
};

/// Refuses `attempt` with `why`: counted in fauth.sign_ins, answered as send_failure does, and
/// reported as a login_failure, unless the failure is fauth's own (internal, unavailable) or the
/// attempt's success was reported already (a session that could not be opened).
void refuse_attempt(const Engine& engine, SignInAttempt& attempt, const Failure& why);

/// Finishes a sign-in whose user is proved: reports the login_success, opens a listed session
/// (AuthProvider::open_session with `proof`, origin `origin`) and answers its tokens as `delivery`
/// says (send_tokens); a failure on the way is refuse_attempt's.
template <class User>
void finish_sign_in(const AuthProvider<User>& auth, std::shared_ptr<SignInAttempt> attempt, const User& user, Engine::Proof proof,
                    std::string origin, TokenDelivery delivery, std::shared_ptr<const HttpConfig> http) {
    try {
        attempt->event.type = SecurityEventType::login_success;
        attempt->event.subject = user_id(user);
        auth.config().report(attempt->event);
        auto opened = auth.open_session(user, proof,
                                        SessionDevice{attempt->client, std::move(attempt->user_agent), {}, std::move(origin), {}},
                                        attempt->jkt);
        auth.engine().after(std::move(opened), [&auth, attempt, delivery, http](Result<TokenResponse> tokens) {
            if (!tokens) return refuse_attempt(auth.engine(), *attempt, tokens.failure());
            try {
                send_tokens(attempt->writer, *tokens, delivery, http->cookies, auth.tokens());
                auth.engine().instruments().sign_ins.add(instruments::Result::success, instruments::ErrorType::none);
            } catch (...) {
                refuse_attempt(auth.engine(), *attempt, failure_of(std::current_exception(), "sign-in"));
            }
        });
    } catch (...) {
        refuse_attempt(auth.engine(), *attempt, failure_of(std::current_exception(), "sign-in"));
    }
}

/// fauth::LoginClaims (fauth/auth/provider.hpp), under the name it had here: set it with
/// AuthProvider::set_login_claims.
template <class User>
using LoginClaims = fauth::LoginClaims<User>;

/// The login endpoint (POST it at HttpConfig::token_url). In order: a body over
/// HttpConfig::max_token_request_bytes gets 413; the client address is throttled (429 with Retry-After); the body
/// is read as a form (Swagger UI's OAuth2 password flow; client credentials in an
/// `Authorization: Basic` header are ignored) or JSON, never the query string (415, 422); the
/// login name is throttled, first for this client (429), then across all clients (429); the
/// password is checked on the worker pool. Answers 200 with a
/// TokenResponse, 401 "Invalid credentials" or 403 "Inactive user". A user with a second factor
/// (AuthConfig::second_factor, SecondFactors::enrolled) gets 403 "Second factor required" with a
/// short-lived `second_factor_token` instead (send_second_factor_required; a
/// second_factor_required security event), which second_factor_login_endpoint exchanges with a code
/// for the tokens. Every attempt is reported as
/// a login_success, login_failure or throttled security event. The tokens carry what
/// AuthProvider::set_login_claims says (AuthProvider::sign_in); the access token is fresh. The
/// session is recorded in the store's session list first (AuthProvider::open_session: the client
/// address as throttles count it, the User-Agent, origin "password"); a store that cannot record
/// it gets 503.
/// With TokenDelivery::cookies (which needs HttpConfig::cookies to accept cookies and the
/// provider a secret_key, else mounting it throws ConfigError) the tokens are set as the session cookies instead (send_tokens), and a request
/// whose Origin or Referer names a foreign origin is refused with 403 before anything else.
/// DPoP (RFC 9449 section 5), while HttpConfig::dpop.mode is not off: a request with a `DPoP`
/// header (a proof for POST and this endpoint's URL, without `ath`) has it verified once the body is
/// read, before the name's throttles and the password check (DpopTokenProofs: algorithms, age,
/// the replay cache); the tokens are then bound to the proof's key (`cnf.jkt`, Engine::login) and
/// the response says `"token_type": "DPoP"`. A bad, stale or replayed proof is refused as any
/// credential is here: 401 {"detail": "Invalid DPoP proof"} with `WWW-Authenticate: DPoP
/// error="invalid_dpop_proof", algs="..."`, reported as a login_failure. With DpopMode::require a
/// login without a proof is refused so too. Without the header nothing changes. Cookie delivery
/// ignores DPoP: a browser session's tokens live in HttpOnly cookies, which the cookie scheme
/// reads without proofs, so they are never bound.
template <class User>
Endpoint login_endpoint(const AuthProvider<User>& auth, TokenDelivery delivery = TokenDelivery::body) {
    Endpoint endpoint;
    endpoint.make = [&auth, delivery](const std::shared_ptr<const HttpConfig>& http) {
        if (delivery == TokenDelivery::cookies && !http->cookies.accepts_cookie())
            throw ConfigError("login_endpoint: cookie delivery needs HttpConfig.cookies.transport to accept cookies");
        if (delivery == TokenDelivery::cookies && auth.config().tokens.secret_key.empty())
            throw ConfigError(
                "login_endpoint: cookie delivery: CSRF tokens are bound to the session with secret_key; set it to use cookies");
        // DPoP (RFC 9449 section 5), while HttpConfig::dpop is not off: a login whose request
        // carries a proof gets tokens bound to the proof's key. Cookies ignore it (see below).
        std::shared_ptr<const DpopTokenProofs> proofs;
        if (delivery == TokenDelivery::body && http->dpop.mode != DpopMode::off)
            proofs = std::make_shared<const DpopTokenProofs>(scheme_settings(*http));
        return Endpoint::guard_exceptions(
            [&auth, delivery, http, proofs](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
                const AuthConfig& config = auth.config();
                if (request.body().size() > http->max_token_request_bytes)
                    return send_detail(writer, Pistache::Http::Code::Request_Entity_Too_Large, "Request body too large");
                // Login CSRF (signing a victim's browser into the attacker's account): cookies set by
                // a request another site started are refused.
                if (delivery == TokenDelivery::cookies && is_foreign_origin(request, http->cookies))
                    return send_error(writer, Forbidden("Origin not allowed"), {}, config.tokens.log);
                // Everything needed later is copied now: the request does not outlive this call.
                struct Attempt {
                    Pistache::Http::ResponseWriter writer;
                    SecurityEvent event;
                    std::string client;  // as throttles count it
                    std::string content_type;
                    std::string body;
                    std::string device_cookie;  // as sent, when device cookies are on
                    std::string path;           // where a new device cookie goes back to
                    DpopTokenRequest dpop;      // the DPoP header, while DPoP is on
                    std::string jkt;            // the verified proof's key: the tokens are bound to it
                    std::string user_agent;     // recorded with the session
                };
                const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
                auto event = request_event(SecurityEventType::login_failure, request, *http);
                auto client = throttle_client(event.client, http->ipv6_client_prefix);
                const bool devices = device_cookies_on(*http, auth.tokens());
                auto device_cookie = devices ? cookie_credentials(request, http->device_cookie.name) : Credentials{};
                auto attempt = std::make_shared<Attempt>(
                    Attempt{std::move(writer), std::move(event), std::move(client),
                            type ? type->mime().toString() : std::string(), request.body(), std::move(device_cookie.token),
                            devices ? request.resource() : std::string(), proofs ? proofs->read(request) : DpopTokenRequest{},
                            std::string(), user_agent_of(request)});
                // Failures that are no attempt's (the client's throttle, before the body is read; a
                // response that cannot be made): not reported.
                auto refuse = [&auth](const std::shared_ptr<Attempt>& a, std::exception_ptr failure) {
                    http::refuse(a->writer, auth.config(), failure_of(std::move(failure), "login"), false, a->event,
                                 Report::none);
                };
                // A name's throttle that cannot count (its store unreachable: 503): a failed sign-in, reported.
                auto fail = [&auth](const std::shared_ptr<Attempt>& a, std::exception_ptr failure) {
                    auto why = failure_of(std::move(failure), "login");
                    auth.engine().instruments().sign_ins.add(instruments::Result::failure, instruments::error_type(why.kind));
                    http::refuse(a->writer, auth.config(), std::move(why), false, a->event, Report::attempt);
                };
                auto throttled = [&auth](const std::shared_ptr<Attempt>& a, const ThrottleDecision& d) {
                    auth.engine().instruments().sign_ins.add(instruments::Result::failure,
                                                             instruments::error_type(ErrorKind::throttled));
                    a->event.type = SecurityEventType::throttled;
                    auth.config().report(a->event);
                    send_too_many_requests(a->writer, static_cast<long>(d.retry_after.count()));
                };
                // The password check and the answer, once the throttles let the attempt through.
                auto sign_in = [&auth, delivery, http, attempt, refuse](LoginRequest credentials, bool known_device) {
                    auto username = credentials.username;
                    // The session, once every factor the user has is proved here.
                    auto finish = [&auth, delivery, http, attempt, refuse, username](const User& user) {
                        try {
                            attempt->event.type = SecurityEventType::login_success;
                            attempt->event.subject = user_id(user);
                            attempt->event.identifier = username;
                            auth.config().report(attempt->event);
                            // The session is recorded (client, User-Agent) before its tokens are answered.
                            auto opened = auth.open_session(
                                user, Engine::Proof::password,
                                SessionDevice{attempt->client, std::move(attempt->user_agent), {}, "password", {}}, attempt->jkt);
                            auth.engine().after(std::move(opened), [&auth, delivery, http, attempt, refuse,
                                                                    username](Result<TokenResponse> tokens) {
                                try {
                                    if (!tokens) {
                                        auto why = std::move(tokens).failure();
                                        auth.engine().instruments().sign_ins.add(instruments::Result::failure,
                                                                                 instruments::error_type(why.kind));
                                        return http::refuse(attempt->writer, auth.config(), std::move(why), false, attempt->event,
                                                            Report::none);
                                    }
                                    if (!attempt->path.empty())
                                        add_device_cookie(attempt->writer, *http, auth.tokens(), username, attempt->path);
                                    send_tokens(attempt->writer, *tokens, delivery, http->cookies, auth.tokens());
                                    auth.engine().instruments().sign_ins.add(instruments::Result::success,
                                                                             instruments::ErrorType::none);
                                } catch (...) {
                                    refuse(attempt, std::current_exception());
                                }
                            });
                        } catch (...) {
                            refuse(attempt, std::current_exception());
                        }
                    };
                    auth.authenticate(std::move(credentials.username), std::move(credentials.password), attempt->client,
                                      known_device)
                        .then(
                            [&auth, attempt, refuse, finish](const User& user) {
                                const auto* factors = auth.engine().second_factors();
                                if (factors == nullptr) return finish(user);
                                // A user with a second factor gets a token that only finishes the login.
                                auth.engine().after(factors->enrolled(user_id(user)), [&auth, attempt, refuse, finish,
                                                                                       user](Result<bool> enrolled) {
                                    try {
                                        if (!enrolled) return refuse(attempt, std::move(enrolled).failure().exception());
                                        if (!*enrolled) return finish(user);
                                        attempt->event.type = SecurityEventType::second_factor_required;
                                        attempt->event.subject = user_id(user);
                                        auth.config().report(attempt->event);
                                        send_second_factor_required(attempt->writer,
                                                                    second_factor_token(auth.tokens(), user_id(user),
                                                                                        attempt->jkt));
                                    } catch (...) {
                                        refuse(attempt, std::current_exception());
                                    }
                                });
                            },
                            [&auth, attempt](std::exception_ptr failure) {
                                auto why = failure_of(std::move(failure), "login");
                                auth.engine().instruments().sign_ins.add(instruments::Result::failure,
                                                                         instruments::error_type(why.kind));
                                http::refuse(attempt->writer, auth.config(), why, false, attempt->event, Report::attempt);
                            });
                };
                // The login name's throttles, then the password check.
                auto throttle_name = [&auth, http, attempt, fail, throttled, sign_in](LoginRequest credentials) {
                    const auto& limits = auth.config().login_limits;
                    // A device this name logged in from before has its own budget, which guesses
                    // from elsewhere cannot spend.
                    const auto device = attempt->device_cookie.empty()
                                            ? std::string()
                                            : device_of(auth.tokens(), attempt->device_cookie, credentials.username,
                                                        unix_seconds(auth.config().tokens.clock), http->device_cookie.lifetime);
                    if (!device.empty()) {
                        auth.count_attempt(instruments::throttle_key(instruments::ThrottleBucket::login_device, device),
                                           limits.per_device)
                            .then(
                                [attempt, throttled, sign_in,
                                 credentials = std::move(credentials)](const ThrottleDecision& by_device) mutable {
                                    if (!by_device.allowed) return throttled(attempt, by_device);
                                    sign_in(std::move(credentials), true);
                                },
                                [attempt, fail](std::exception_ptr failure) { fail(attempt, failure); });
                        return;
                    }
                    const auto pair_key = client_identifier_key(attempt->client, credentials.username);
                    // The name is counted across all clients only for attempts this client may make.
                    auto then_by_name = [&auth, attempt, fail, throttled, sign_in,
                                         credentials = std::move(credentials)](const ThrottleDecision& by_pair) mutable {
                        if (!by_pair.allowed) return throttled(attempt, by_pair);
                        const auto name_key = identifier_key(credentials.username);
                        auth.count_attempt(name_key, auth.config().login_limits.per_identifier)
                            .then(
                                [attempt, throttled, sign_in,
                                 credentials = std::move(credentials)](const ThrottleDecision& by_name) mutable {
                                    if (!by_name.allowed) return throttled(attempt, by_name);
                                    sign_in(std::move(credentials), false);
                                },
                                [attempt, fail](std::exception_ptr failure) { fail(attempt, failure); });
                    };
                    auth.count_attempt(pair_key, limits.per_client_identifier)
                        .then(std::move(then_by_name), [attempt, fail](std::exception_ptr failure) { fail(attempt, failure); });
                };
                auth.count_attempt(instruments::throttle_key(instruments::ThrottleBucket::login_client, attempt->client),
                                   config.login_limits.per_client)
                    .then(
                        [&auth, http, proofs, attempt, throttled, throttle_name](const ThrottleDecision& by_client) {
                            if (!by_client.allowed) return throttled(attempt, by_client);
                            auto parsed = parse_login_request(attempt->content_type, attempt->body);
                            if (const auto* error = std::get_if<RequestError>(&parsed))
                                return send_detail(attempt->writer, static_cast<Pistache::Http::Code>(error->status),
                                                   error->detail);
                            auto credentials = std::get<LoginRequest>(std::move(parsed));
                            attempt->event.identifier = logged_identifier(auth.tokens(), credentials.username);
                            if (!proofs || (!attempt->dpop.present && http->dpop.mode != DpopMode::require))
                                return throttle_name(std::move(credentials));
                            // The proof before the name's throttles and the password: a bad one spends neither.
                            auth.engine()
                                .tracked(proofs->verify(attempt->dpop, nullptr, auth.config().tokens.now()))
                                .then([&auth, http, proofs, attempt, throttle_name,
                                       credentials = std::move(credentials)](Result<DpopProof> proof) mutable {
                                    if (!proof) {
                                        const auto& failure = proof.failure();
                                        if (failure.kind == ErrorKind::invalid_dpop_proof)  // the attempt's own fault
                                            auth.engine().instruments().sign_ins.add(instruments::Result::failure,
                                                                                     instruments::error_type(failure.kind));
                                        return http::refuse(attempt->writer, auth.config(), failure,
                                                            proofs->challenge(http->resource_metadata_url), attempt->event,
                                                            failure.kind == ErrorKind::invalid_dpop_proof ? Report::attempt
                                                                                                          : Report::none);
                                    }
                                    try {
                                        attempt->jkt = std::move(proof->jkt);
                                        throttle_name(std::move(credentials));
                                    } catch (...) {
                                        http::refuse(attempt->writer, auth.config(),
                                                     failure_of(std::current_exception(), "login"), false, attempt->event,
                                                     Report::none);
                                    }
                                });
                        },
                        [attempt, refuse](std::exception_ptr failure) { refuse(attempt, failure); });
            },
            auth.config().tokens.log);
    };
    endpoint.doc = login_route_doc(delivery);
    return endpoint;
}

}  // namespace fauth::http
