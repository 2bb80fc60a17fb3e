// fauth/http/guard.hpp — guards: Pistache handlers that authenticate the bearer token, load the
// user through the asynchronous user_loader, check roles and permissions, and only then call your
// handler with the user. Include this header to use AuthProvider's require_user and friends.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/http/cookies.hpp"
#include "fauth/http/endpoint.hpp"
#include "fauth/http/events.hpp"
#include "fauth/http/response.hpp"
#include "fauth/http/security_context.hpp"
#include "fauth/auth/provider.hpp"

namespace fauth::http {

namespace detail {
// True when A... is exactly a guarded handler's parameter list: (const Request&, ResponseWriter
// or ResponseWriter&&, const User&, const User* or const Principal<User>&). Any other parameter (a User by value, a type
// converted from it) is made by the caller, outside the handler's noexcept, and could throw.
template <class User, class... A>
inline constexpr bool exact_handler_parameters = false;
template <class User, class W, class U>
inline constexpr bool exact_handler_parameters<User, const Pistache::Rest::Request&, W, U> =
    (std::is_same_v<W, Pistache::Http::ResponseWriter> || std::is_same_v<W, Pistache::Http::ResponseWriter&&>) &&
    (std::is_same_v<U, const User&> || std::is_same_v<U, const User*> || std::is_same_v<U, const Principal<User>&>);
template <class User, class F>
struct noexcept_handler_signature : std::false_type {};
template <class User, class R, class... A>
struct noexcept_handler_signature<User, R (*)(A...) noexcept> : std::bool_constant<exact_handler_parameters<User, A...>> {};
template <class User, class R, class C, class... A>
struct noexcept_handler_signature<User, R (C::*)(A...) noexcept> : std::bool_constant<exact_handler_parameters<User, A...>> {};
template <class User, class R, class C, class... A>
struct noexcept_handler_signature<User, R (C::*)(A...) const noexcept>
    : std::bool_constant<exact_handler_parameters<User, A...>> {};
// Whether calling handler F for User cannot throw: a function pointer, or a class with one
// non-template operator() (a lambda), declared noexcept and taking exactly the guard's arguments.
// (std::is_nothrow_invocable cannot tell: it also counts moving the writer into the parameter,
// a move Pistache does not declare noexcept although it only moves members.)
template <class User, class F, class = void>
struct nothrow_handler : noexcept_handler_signature<User, F> {};
template <class User, class F>
struct nothrow_handler<User, F, std::void_t<decltype(&F::operator())>>
    : noexcept_handler_signature<User, decltype(&F::operator())> {};
}  // namespace detail

/// Builds the guards AuthProvider<User> hands out (require_user, require_roles, ...). The
/// provider must outlive every server that routes to its guards.
template <class User>
class GuardBuilder {
public:
    /// A guard that calls `handler(request, writer, user)` for an active user meeting `rule`,
    /// authenticated by one of `schemes`: the first, in order, whose credentials the request
    /// carries decides (bad ones are refused, never passed to the next); empty means those
    /// AuthConfig::cookies's transport names. With `fresh`, only a token from a password login.
    /// `user` is `const User&` or `const Principal<User>&` (with the scheme and the scopes).
    /// Throws ConfigError for schemes that cannot be used (api_key without an api_key_loader,
    /// cookie while cookies are off, one named twice, fresh with api_key) or a rule whose
    /// predicates are over another User type.
    template <class Handler>
    static Endpoint required(const AuthProvider<User>& auth, Rule rule, bool fresh, std::vector<Scheme> schemes, Handler handler) {
        constexpr bool takes_principal =
            std::is_invocable_v<Handler&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter, const Principal<User>&>;
        static_assert(takes_principal ||
                          std::is_invocable_v<Handler&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter, const User&>,
                      "fauth: a guarded handler takes (const Rest::Request&, Http::ResponseWriter, const User&) or "
                      "(..., const Principal<User>&)");
        check_route(auth, rule, fresh, schemes);
        struct Spec {
            const AuthProvider<User>& auth;
            Rule rule;
            bool fresh;
            std::vector<Scheme> schemes;
            Handler handler;
        };
        auto spec = std::make_shared<Spec>(Spec{auth, rule, fresh, schemes, std::move(handler)});
        if (spec->schemes.empty()) {
            const auto defaults = default_schemes(auth.config().cookies);
            spec->schemes.assign(defaults.begin(), defaults.end());
        }
        Endpoint endpoint;
        endpoint.access = Access::required;
        endpoint.rule = std::move(rule);
        endpoint.fresh = fresh;
        endpoint.schemes = std::move(schemes);
        endpoint.handler = [spec](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const AuthConfig& config = spec->auth.config();
            const auto credentials = credentials_for(request, spec->schemes, config);
            if (credentials.status == BearerCredentials::Status::absent) {
                send_not_authenticated(writer, challenge(*spec, false));
            } else if (credentials.status == BearerCredentials::Status::malformed) {
                const auto failure = malformed_failure(credentials);
                report_refusal(config, request, failure);
                send_exception(writer, failure, challenge(*spec, credentials.source != Credentials::Source::api_key), config.log);
            } else {
                // What follows the pipeline, for a token (proof: its payload) or a key (the ApiKey).
                auto then = [spec, scheme = credentials.source == Credentials::Source::cookie ? Scheme::cookie : Scheme::bearer,
                             evidence = csrf_evidence(request, credentials, config)](
                                const Pistache::Rest::Request& req, Pistache::Http::ResponseWriter& w, const User* user,
                                const auto* proof, std::exception_ptr failure) {
                    const AuthProvider<User>& provider = spec->auth;
                    constexpr bool by_key = std::is_same_v<std::remove_cvref_t<decltype(*proof)>, ApiKey>;
                    if (failure) {
                        report_refusal(provider.config(), req, failure);
                        return send_exception(w, failure, challenge(*spec, !by_key), provider.config().log);
                    }
                    const auto principal = [&] {
                        if constexpr (by_key) return Principal<User>{*user, Scheme::api_key, proof->scopes, nullptr, proof};
                        else return Principal<User>{*user, scheme, proof->scopes, proof, nullptr};
                    }();
                    try {
                        if constexpr (!by_key) check_csrf(evidence, *proof, provider.tokens());
                        require(spec->rule, principal, provider.config().wildcards);
                        if constexpr (!by_key) {
                            if (spec->fresh && !proof->fresh) throw FreshTokenRequired();
                        }
                    } catch (...) {
                        failure = std::current_exception();
                    }
                    if (failure) {
                        report_refusal(provider.config(), req, failure, user_id(*user));
                        return send_exception(w, failure, challenge(*spec, !by_key), provider.config().log);
                    }
                    if constexpr (takes_principal) call(spec->handler, req, w, principal, principal.token, principal.key, provider.config().log);
                    else call(spec->handler, req, w, *user, principal.token, principal.key, provider.config().log);
                };
                if (credentials.source == Credentials::Source::api_key)
                    spec->auth.run_key(credentials.token, Delivery<decltype(then)>{&request, std::move(writer), std::move(then)});
                else
                    deliver(spec->auth, request, std::move(writer), credentials.token, std::move(then));
            }
            return Pistache::Rest::Route::Result::Ok;
        };
        return endpoint;
    }

    /// The guard of AccessRule `access` (its lists and its `fresh`) over the default schemes.
    template <class Handler>
    static Endpoint required(const AuthProvider<User>& auth, const AccessRule& access, Handler handler) {
        AccessRule lists = access;  // freshness is the route's, checked apart from the rule
        lists.fresh = false;
        return required(auth, Rule(lists), access.fresh, {}, std::move(handler));
    }

    /// A guard that calls `handler(request, writer, const User*)`: the active user of a valid
    /// token, or null when no token, a bad token or an unusable user was sent. Only fauth's own
    /// failures (a loader error, overload) are answered with an error instead.
    template <class Handler>
    static Endpoint optional(const AuthProvider<User>& auth, Handler handler) {
        static_assert(std::is_invocable_v<Handler&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter, const User*>,
                      "fauth: an optional_user handler takes (const Rest::Request&, Http::ResponseWriter, const User*)");
        struct Spec {
            const AuthProvider<User>& auth;
            Handler handler;
        };
        auto spec = std::make_shared<Spec>(Spec{auth, std::move(handler)});
        Endpoint endpoint;
        endpoint.access = Access::optional;
        endpoint.handler = [spec](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const AuthConfig& config = spec->auth.config();
            const auto credentials = credentials_of(request, config.cookies);
            if (credentials.status != BearerCredentials::Status::present) {
                call(spec->handler, request, writer, static_cast<const User*>(nullptr), nullptr, nullptr, config.log);
                return Pistache::Rest::Route::Result::Ok;
            }
            deliver(spec->auth, request, std::move(writer), credentials.token,
                    [spec, evidence = csrf_evidence(request, credentials, config)](
                        const Pistache::Rest::Request& req, Pistache::Http::ResponseWriter& w, const User* user,
                        const TokenPayload* token, std::exception_ptr failure) {
                        const LogSink& log = spec->auth.config().log;
                        if (!failure) {
                            try {
                                check_csrf(evidence, *token, spec->auth.tokens());  // else: anonymous
                            } catch (...) {
                                failure = std::current_exception();
                            }
                        }
                        if (failure && !is_callers_fault(failure))
                            return send_exception(w, failure, {true, spec->auth.config().resource_metadata_url}, log);
                        if (failure) user = nullptr, token = nullptr;
                        call(spec->handler, req, w, user, token, nullptr, log);
                    });
            return Pistache::Rest::Route::Result::Ok;
        };
        return endpoint;
    }

private:
    // The 401 challenge of a route: Bearer when it takes tokens (with error="invalid_token" when
    // one was presented), APIKey when it takes keys.
    template <class Spec>
    static Challenge challenge(const Spec& spec, bool token_presented) {
        Challenge c(token_presented, spec.auth.config().resource_metadata_url);
        c.bearer = false;
        for (const auto s : spec.schemes) {
            if (s == Scheme::api_key) c.api_key_header = spec.auth.config().api_keys.header;
            else c.bearer = true;
        }
        return c;
    }

    // Refuses, at mount time, a route whose schemes or rule cannot work.
    static void check_route(const AuthProvider<User>& auth, const Rule& rule, bool fresh, const std::vector<Scheme>& schemes) {
        for (std::size_t i = 0; i < schemes.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j)
                if (schemes[j] == schemes[i]) throw ConfigError("fauth: a route names scheme " + std::string(scheme_name(schemes[i])) + " twice");
            if (schemes[i] == Scheme::api_key && !auth.accepts_api_keys())
                throw ConfigError("fauth: a route accepts API keys, but the provider has no api_key_loader (set_api_key_loader)");
            if (schemes[i] == Scheme::api_key && fresh)
                throw ConfigError("fauth: a route that wants fresh tokens cannot accept API keys, which are never fresh");
            if (schemes[i] == Scheme::cookie && !auth.config().cookies.accepts_cookie())
                throw ConfigError("fauth: a route accepts the session cookie, but AuthConfig::cookies.transport does not");
        }
        if (const auto* type = rule.user_type(); type != nullptr && *type != typeid(User))
            throw ConfigError("fauth: the route's rule has a predicate over another User type");
    }

    // True for failures that mean "this caller is not (usably) authenticated".
    static bool is_callers_fault(std::exception_ptr failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const Error& e) {
            return e.kind() != ErrorKind::internal && e.kind() != ErrorKind::unavailable && e.kind() != ErrorKind::throttled;
        } catch (...) {
            return false;
        }
    }

    // Calls the user's handler inside the security context; an exception it throws becomes a 500,
    // answered through a copy of the writer kept for that (the handler owns the writer itself).
    // A handler declared noexcept cannot throw, so it costs no copy.
    template <class Handler, class UserArg>
    static void call(Handler& handler, const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter& writer,
                     const UserArg& user, const TokenPayload* token, const ApiKey* key, const LogSink& log) {
        const auto invoke = [&] {
            typename SecurityContext<User>::Scope scope(user_pointer(user), token, key);
            handler(request, std::move(writer), user);
        };
        if constexpr (detail::nothrow_handler<User, Handler>::value) {
            invoke();
        } else {
            auto fallback = writer.clone();
            try {
                invoke();
            } catch (...) {
                send_exception(fallback, std::current_exception(), false, log);
            }
        }
    }
    static const User* user_pointer(const User* user) noexcept { return user; }
    static const User* user_pointer(const User& user) noexcept { return &user; }
    static const User* user_pointer(const Principal<User>& principal) noexcept { return &principal.user; }

    // What a guard does once the pipeline has ended: `then(request, writer, user, token, failure)`.
    // Before the pipeline waits (suspend), the request is copied, since Pistache's is a temporary;
    // a store and a loader that answer at once cost no copy.
    template <class Then>
    struct Delivery {
        const Pistache::Rest::Request* request;
        Pistache::Http::ResponseWriter writer;
        Then then;
        std::shared_ptr<const Pistache::Rest::Request> copy{};

        void suspend() {
            copy = std::make_shared<const Pistache::Rest::Request>(*request);
            request = copy.get();
        }
        template <class Proof>
        void operator()(const User* user, const Proof* proof, std::exception_ptr failure, const Engine&) {
            then(*request, writer, user, proof, std::move(failure));
        }
    };

    // Runs `token` through the provider's pipeline, then `then`.
    template <class Then>
    static void deliver(const AuthProvider<User>& auth, const Pistache::Rest::Request& request,
                        Pistache::Http::ResponseWriter writer, std::string_view token, Then then) {
        auth.run(token, TokenType::access, Delivery<Then>{&request, std::move(writer), std::move(then)});
    }
};

}  // namespace fauth::http
