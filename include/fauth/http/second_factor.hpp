/// @file
/// fauth/http/second_factor.hpp — a login's second step (a TOTP code or a recovery code after the
/// password) and the routes where a user enrols an authenticator, confirms it, renews recovery
/// codes and removes it (AuthConfig::second_factor).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/auth/provider.hpp"
#include "fauth/http/api.hpp"
#include "fauth/http/client_address.hpp"
#include "fauth/http/cookies.hpp"
#include "fauth/http/endpoint.hpp"
#include "fauth/http/events.hpp"
#include "fauth/http/login.hpp"
#include "fauth/http/response.hpp"
#include "fauth/http/token_request.hpp"

namespace fauth::http {

/// The OpenAPI description of second_factor_login_endpoint.
RouteDoc second_factor_login_doc(TokenDelivery delivery = TokenDelivery::body);

/// The second step of a login whose user has a second factor (POST it beside login_endpoint,
/// with the same TokenDelivery). The body (form or JSON) holds `second_factor_token`, from the
/// password step, and `code`: a TOTP code, or a recovery code (used up). In order: 413 for a body
/// over HttpConfig::max_token_request_bytes; 422 for a body without both; 401 "Invalid token" for
/// a token that is not a live second-factor token; 429 beyond SecondFactorLimits (per client, per
/// user); 401 "Invalid code"; then the user is loaded (401, 403 "Inactive user") and a session is
/// opened with Engine::Proof::password_and_code (amr mfa otp pwd, acr kAcrTwoFactors; origin
/// "password"): 200 with the pair, or the session cookies. Every attempt is a login_success or
/// login_failure security event. ConfigError at mount time without AuthConfig::second_factor.store.
template <class User>
Endpoint second_factor_login_endpoint(const AuthProvider<User>& auth, TokenDelivery delivery = TokenDelivery::body) {
    Endpoint endpoint;
    endpoint.make = [&auth, delivery](const std::shared_ptr<const HttpConfig>& http) {
        if (auth.engine().second_factors() == nullptr)
            throw ConfigError("second_factor_login_endpoint: set AuthConfig::second_factor.store");
        if (delivery == TokenDelivery::cookies && !http->cookies.accepts_cookie())
            throw ConfigError(
                "second_factor_login_endpoint: cookie delivery needs HttpConfig.cookies.transport to accept cookies");
        return Endpoint::guard_exceptions(
            [&auth, delivery, http](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
                const AuthConfig& config = auth.config();
                if (request.body().size() > http->max_token_request_bytes)
                    return send_detail(writer, Pistache::Http::Code::Request_Entity_Too_Large, "Request body too large");
                if (delivery == TokenDelivery::cookies && is_foreign_origin(request, http->cookies))
                    return send_error(writer, Forbidden("Origin not allowed"), {}, config.tokens.log);
                const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
                auto parsed = parse_second_factor_request(type ? type->mime().toString() : std::string(), request.body());
                if (const auto* error = std::get_if<RequestError>(&parsed))
                    return send_detail(writer, static_cast<Pistache::Http::Code>(error->status), error->detail);
                auto step = std::get<SecondFactorRequest>(std::move(parsed));
                auto event = request_event(SecurityEventType::login_failure, request, *http);
                event.identifier = "second_factor";
                auto client = throttle_client(event.client, http->ipv6_client_prefix);
                auto attempt = std::make_shared<SignInAttempt>(
                    SignInAttempt{std::move(writer), std::move(event), std::move(client), user_agent_of(request), {}});
                const auto refuse = [&auth](const std::shared_ptr<SignInAttempt>& a, const Failure& why) {
                    refuse_attempt(auth.engine(), *a, why);
                };
                TokenPayload payload;
                try {
                    payload = auth.verify(step.token, TokenType::second_factor);
                } catch (...) {
                    return refuse(attempt, failure_of(std::current_exception(), "second factor token"));
                }
                attempt->event.subject = payload.sub;
                if (const auto* cnf = payload.claim("cnf"); cnf && cnf->is_object())
                    if (const auto jkt = cnf->find("jkt"); jkt != cnf->end() && jkt->is_string())
                        attempt->jkt = jkt->template get<std::string>();
                const auto& factors = *auth.engine().second_factors();
                // The token's revocation first (a revoke_all since the password step, say): a code
                // is used up only for a token that may still finish its login.
                auto live = auth.engine().check(payload, TokenType::second_factor);
                auto checked_code =
                    auth.engine().template chain<SecondFactorKind>(std::move(live),
                                                                   [&factors, sub = payload.sub, code = std::move(step.code),
                                                                    client = attempt->client](
                                                                       Result<void> ok) mutable -> Outcome<SecondFactorKind> {
                                                                       if (!ok) return std::move(ok).failure();
                                                                       return factors.check(std::move(sub), std::move(code),
                                                                                            std::move(client));
                                                                   });
                auth.engine().after(std::move(checked_code), [&auth, delivery, http, attempt, refuse,
                                                              payload](Result<SecondFactorKind> checked) mutable {
                    if (!checked) return refuse(attempt, std::move(checked).failure());
                    attempt->event.reason =
                        *checked == SecondFactorKind::totp ? "second factor: totp" : "second factor: recovery code";
                    auth.load_user(payload).then(
                        [&auth, delivery, http, attempt](const User& user) {
                            finish_sign_in(auth, attempt, user, Engine::Proof::password_and_code, "password", delivery, http);
                        },
                        [attempt, refuse](std::exception_ptr failure) {
                            refuse(attempt, failure_of(std::move(failure), "second factor login"));
                        });
                });
            },
            auth.config().tokens.log);
    };
    endpoint.doc = second_factor_login_doc(delivery);
    return endpoint;
}

/// Where add_second_factor_routes mounts its routes, and the name authenticator apps show.
template <class User>
struct SecondFactorRoutes {
    /// The routes' common path.
    std::string prefix = "/auth/second-factor";
    /// The account name in the otpauth URI (beside SecondFactorSettings::issuer): the user's
    /// login name, say. The user's id when empty. No ':'.
    std::function<std::string(const User&)> account_name;
    /// How long ago the session may have begun for an enrolment (RFC 9470's max_age: older
    /// sessions get 401 insufficient_user_authentication and sign in again).
    std::chrono::seconds enrol_max_age = std::chrono::minutes(15);
    /// The OpenAPI tag of the routes.
    std::string tag = "Second factor";
};

/// The OpenAPI descriptions of the routes add_second_factor_routes mounts, in its order: status,
/// enrol, confirm, remove, new recovery codes.
std::vector<RouteDoc> second_factor_route_docs(const std::string& tag);

/// Answers `outcome`'s value as JSON (`to_json(value)`) with `status`, or its failure; not cached.
template <class T, class ToJson>
void answer_json(const Engine& engine, Outcome<T> outcome, std::shared_ptr<Pistache::Http::ResponseWriter> writer, ToJson to_json,
                 Pistache::Http::Code status = Pistache::Http::Code::Ok) {
    engine.after(std::move(outcome), [writer, to_json = std::move(to_json), status, &engine](Result<T> result) {
        if (!result) return send_failure(*writer, result.failure(), {}, engine.config().tokens.log);
        try {
            writer->headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
            send_json(*writer, status, to_json(*result));
        } catch (...) {
            send_failure(*writer, failure_of(std::current_exception(), "second factor"), {}, engine.config().tokens.log);
        }
    });
}

/// Calls `next()` when the caller may add or remove a second factor of user `sub`: its token's
/// session began with two factors (this service's acr kAcrTwoFactors), or `sub` has no second
/// factor yet (has_second_factor). Else answers 401 "Stronger authentication required" with RFC
/// 9470's `acr_values`: a factor is never added or removed on the strength of less than the
/// factors it guards (a password alone, a sign-in at an OpenID provider).
template <class Next>
void when_factors_may_change(const Engine& engine, const TokenPayload* token, std::string sub,
                             std::shared_ptr<Pistache::Http::ResponseWriter> writer, Next next) {
    if (token != nullptr && !token->external && token->acr == kAcrTwoFactors) return next();
    engine.after(has_second_factor(engine, std::move(sub)), [&engine, writer, next = std::move(next)](Result<bool> has) mutable {
        if (!has) return send_failure(*writer, has.failure(), {}, engine.config().tokens.log);
        if (!*has) return next();
        Challenge challenge(true);
        challenge.acr_values = std::string(kAcrTwoFactors);
        send_failure(*writer,
                     Failure{ErrorKind::stale_token,
                             "Stronger authentication required",
                             "step-up: a second factor is added or removed only by a session begun with two factors",
                             {}},
                     challenge, engine.config().tokens.log);
    });
}

/// Mounts a signed-in user's second-factor routes on `api` (every one guarded; JSON answers,
/// never cached):
/// - GET `{prefix}`: {"totp": enrolled, "recovery_codes_left": n}.
/// - POST `{prefix}/totp`: a new authenticator secret, unconfirmed: {"secret", "uri", "qr_svg"}
///   (400 when one is confirmed already). The session must have begun within enrol_max_age.
/// - POST `{prefix}/totp/confirm` with `code`: confirms it with a first code and answers
///   {"recovery_codes": [...]} (shown once); 401 "Invalid code", 429 as the login's second step.
/// - DELETE `{prefix}/totp`: removes the authenticator and the recovery codes (204); the session
///   must have begun with two factors (Rule::second_factor; else 401 with `acr_values`).
/// - POST `{prefix}/recovery-codes`: new recovery codes (the old stop working), likewise.
/// ConfigError without AuthConfig::second_factor.store.
template <class User>
void add_second_factor_routes(Api& api, const AuthProvider<User>& auth, SecondFactorRoutes<User> routes = {}) {
    using Pistache::Http::Code;
    using Pistache::Http::ResponseWriter;
    using Pistache::Rest::Request;
    if (auth.engine().second_factors() == nullptr)
        throw ConfigError("add_second_factor_routes: set AuthConfig::second_factor.store");
    const auto docs = second_factor_route_docs(routes.tag);
    const auto& engine = auth.engine();
    const auto& factors = *engine.second_factors();
    auto account = std::make_shared<const std::function<std::string(const User&)>>(std::move(routes.account_name));
    api.get(routes.prefix, auth.require_user([&engine, &factors](const Request&, ResponseWriter w, const User& user) {
        auto writer = std::make_shared<ResponseWriter>(std::move(w));
        const auto sub = user_id(user);
        auto enrolled = std::make_shared<bool>(false);
        auto status = engine.template chain<std::size_t>(factors.enrolled(sub),
                                                         [&factors, sub, enrolled](Result<bool> e) -> Outcome<std::size_t> {
                                                             if (!e) return std::move(e).failure();
                                                             *enrolled = *e;
                                                             return factors.recovery_codes_left(sub);
                                                         });
        answer_json(engine, std::move(status), writer, [enrolled](std::size_t left) {
            return nlohmann::json{{"totp", *enrolled}, {"recovery_codes_left", left}};
        });
    }),
            docs[0]);
    api.post(routes.prefix + "/totp",
             auth.require(Rule::authenticated_within(routes.enrol_max_age),
                          [&engine, &factors, account](const Request&, ResponseWriter w, const Principal<User>& caller) {
                              auto writer = std::make_shared<ResponseWriter>(std::move(w));
                              const auto sub = user_id(caller.user);
                              auto name = *account ? (*account)(caller.user) : sub;
                              when_factors_may_change(engine, caller.token, sub, writer, [&engine, &factors, writer, sub, name] {
                                  answer_json(engine, factors.enrol(sub, name), writer, [](const TotpEnrolment& e) {
                                      return nlohmann::json{{"secret", e.secret}, {"uri", e.uri}, {"qr_svg", e.qr_svg}};
                                  });
                              });
                          }),
             docs[1]);
    const auto http = std::make_shared<const HttpConfig>(api.config());
    api.post(routes.prefix + "/totp/confirm",
             auth.require_user([&engine, &factors, http](const Request& request, ResponseWriter w, const User& user) {
                 auto writer = std::make_shared<ResponseWriter>(std::move(w));
                 const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
                 if (request.body().size() > http->max_token_request_bytes)
                     return send_detail(*writer, Code::Request_Entity_Too_Large, "Request body too large");
                 auto code = parse_code_request(type ? type->mime().toString() : std::string(), request.body());
                 if (const auto* error = std::get_if<RequestError>(&code))
                     return send_detail(*writer, static_cast<Code>(error->status), error->detail);
                 const auto client = throttle_client(client_address(request, *http), http->ipv6_client_prefix);
                 answer_json(engine, factors.confirm(user_id(user), std::get<std::string>(std::move(code)), client), writer,
                             [](const std::vector<std::string>& codes) {
                                 return nlohmann::json{{"recovery_codes", codes}};
                             });
             }),
             docs[2]);
    api.del(routes.prefix + "/totp",
            auth.require(Rule::second_factor(),
                         [&engine, &factors](const Request&, ResponseWriter w, const User& user) {
                             auto writer = std::make_shared<ResponseWriter>(std::move(w));
                             engine.after(factors.remove(user_id(user)), [writer, &engine](Result<void> removed) {
                                 if (!removed) return send_failure(*writer, removed.failure(), {}, engine.config().tokens.log);
                                 writer->send(Code::No_Content);
                             });
                         }),
            docs[3]);
    api.post(routes.prefix + "/recovery-codes",
             auth.require(Rule::second_factor(),
                          [&engine, &factors](const Request&, ResponseWriter w, const User& user) {
                              auto writer = std::make_shared<ResponseWriter>(std::move(w));
                              answer_json(engine, factors.regenerate_recovery_codes(user_id(user)), writer,
                                          [](const std::vector<std::string>& codes) {
                                              return nlohmann::json{{"recovery_codes", codes}};
                                          });
                          }),
             docs[4]);
}

}  // namespace fauth::http
