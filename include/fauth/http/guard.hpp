/// @file
/// fauth/http/guard.hpp — guards: the Pistache handlers GuardedRoutes (AuthProvider's require_user
/// and friends) become when mounted. They read a request's credentials through the route's schemes
/// (fauth/http/scheme.hpp), take them through AuthProvider's pipeline, check the route's rule, and
/// only then call your handler with the user.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <memory>
#include <optional>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/http/scheme.hpp"
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
    (std::is_same_v<W, Pistache::Http::ResponseWriter> ||
     std::is_same_v<W, Pistache::Http::ResponseWriter&&>)&&(std::is_same_v<U, const User&> || std::is_same_v<U, const User*> ||
                                                            std::is_same_v<U, const Principal<User>&>);
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

/// Makes the guards of GuardedRoutes over AuthProvider<User> (require_user, require_roles,
/// optional_user, ...): one guard, whose presence is a flag. The provider must outlive every
/// server that routes to its guards.
template <class User>
class GuardBuilder {
public:
    /// The endpoint of `route`: its handler is made when it is mounted, from the HttpConfig it is
    /// mounted with. It calls `route.handler(request, writer, user)` for an active user meeting
    /// the route's rule, authenticated by one of its schemes: the first, in order, whose
    /// credentials the request carries decides (bad ones are refused, never passed to the next);
    /// none named means those HttpConfig::cookies's transport names. `user` is `const User&` or
    /// `const Principal<User>&` (with the scheme and the scopes); for an optional route `const
    /// User*`, null when the caller is not (usably) authenticated (only fauth's own failures, a
    /// loader error or overload, are answered with an error instead). Throws ConfigError for a
    /// rule whose predicates are over another User type; mounting it, for schemes that cannot be
    /// used (api_key without an api_key_loader, cookie while cookies are off or without a
    /// secret_key, one named twice, fresh with api_key).
    template <class Handler, Presence presence>
    static Endpoint guard(GuardedRoute<User, Handler, presence> route) {
        if constexpr (presence == Presence::optional) {
            static_assert(
                std::is_invocable_v<Handler&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter, const User*>,
                "fauth: an optional_user handler takes (const Rest::Request&, Http::ResponseWriter, const User*)");
        } else {
            static_assert(takes_principal<Handler> || std::is_invocable_v<Handler&, const Pistache::Rest::Request&,
                                                                          Pistache::Http::ResponseWriter, const User&>,
                          "fauth: a guarded handler takes (const Rest::Request&, Http::ResponseWriter, const User&) or "
                          "(..., const Principal<User>&)");
        }
        if (const auto* type = route.rule.user_type(); type != nullptr && *type != typeid(User))
            throw ConfigError("fauth: the route's rule has a predicate over another User type");
        Endpoint endpoint;
        endpoint.access = presence == Presence::required ? Access::required : Access::optional;
        endpoint.rule = route.rule;
        endpoint.fresh = route.fresh;
        endpoint.schemes = route.schemes;
        endpoint.make = [shared = std::make_shared<GuardedRoute<User, Handler, presence>>(std::move(route))](
                            const std::shared_ptr<const HttpConfig>& http) -> Pistache::Rest::Route::Handler {
            const AuthProvider<User>& auth = *shared->provider;
            auto schemes = make_schemes(shared->schemes, scheme_settings(*http));
            for (const auto& scheme : schemes)
                scheme->check_route({shared->fresh, auth.accepts_api_keys(), !auth.config().tokens.secret_key.empty()});
            auto spec = std::make_shared<Spec<Handler>>(
                Spec<Handler>{auth, http, shared->rule, shared->fresh, std::move(schemes), shared, shared->handler});
            return [spec](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
                const AuthConfig& config = spec->auth.config();
                const auto& counts = spec->auth.engine().instruments();
                auto credentials = read_credentials(request, spec->schemes);
                using Status = Credentials::Status;
                if (credentials.status == Status::present) {
                    Delivery<presence, Handler> finish{spec, &request, std::move(writer), credentials.scheme};
                    if (counts.authentication_duration) finish.started = std::chrono::steady_clock::now();
                    if (credentials.scheme->kind() == CredentialKind::api_key)
                        spec->auth.run_key(credentials.token, std::move(finish));
                    else
                        spec->auth.run(credentials.token, credentials.type, std::move(finish));
                } else if constexpr (presence == Presence::optional) {
                    call(spec->handler, request, writer, static_cast<const User*>(nullptr), nullptr, nullptr, config.tokens.log);
                } else if (credentials.status == Status::absent) {
                    counts.authentication_attempts.add(instruments::SchemeValue::none, instruments::Result::failure,
                                                       instruments::ErrorType::not_authenticated);
                    send_not_authenticated(writer, challenge_of(spec->schemes, nullptr, spec->http->resource_metadata_url));
                } else {
                    counts.authentication_attempts.add(credentials.scheme->id(), instruments::Result::failure,
                                                       instruments::error_type(credentials.scheme->malformed().kind));
                    refuse(writer, config, *spec->http, credentials.scheme->malformed(), spec->challenge(*credentials.scheme),
                           request);
                }
                return Pistache::Rest::Route::Result::Ok;
            };
        };
        return endpoint;
    }

private:
    template <class Handler>
    static constexpr bool takes_principal =
        std::is_invocable_v<Handler&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter, const Principal<User>&>;

    // What a mounted route's requests share. The handler is the route's own (one object for
    // every mount of the route), which `owner` keeps.
    template <class Handler>
    struct Spec {
        const AuthProvider<User>& auth;
        std::shared_ptr<const HttpConfig> http;
        Rule rule;
        bool fresh;
        SchemeList schemes;
        std::shared_ptr<void> owner;
        Handler& handler;

        // The challenge once credentials of `scheme` were presented: its error for a token (an
        // API key's challenge has no error).
        Challenge challenge(const CredentialScheme& scheme) const {
            return challenge_of(schemes, &scheme, http->resource_metadata_url);
        }
    };

    // True for failures that mean "this caller is not (usably) authenticated" (fauth's own, a
    // loader error or overload, are not).
    static bool is_callers_fault(const Failure& failure) noexcept {
        return failure.kind != ErrorKind::internal && failure.kind != ErrorKind::unavailable &&
               failure.kind != ErrorKind::throttled;
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

    // The finish of the pipeline (AuthProvider::run, run_key) for one request: the scheme's check
    // once the token is verified (bind), then the rule, then the handler or the refusal. Before
    // the pipeline waits (suspend), the request is copied, since Pistache's is a temporary; a
    // store and a loader that answer at once cost no copy.
    template <Presence presence, class Handler>
    struct Delivery {
        std::shared_ptr<Spec<Handler>> spec;
        const Pistache::Rest::Request* request;
        Pistache::Http::ResponseWriter writer;
        const CredentialScheme* scheme;
        std::shared_ptr<const Pistache::Rest::Request> copy{};
        std::chrono::steady_clock::time_point started{};  // set while fauth.authentication.duration is on

        void suspend() {
            copy = std::make_shared<const Pistache::Rest::Request>(*request);
            request = copy.get();
        }
        Outcome<void> bind(const TokenPayload& token) const {
            return scheme->check(*request, token, {spec->auth.tokens(), false, &writer});
        }

        void operator()(Result<Caller<User>> caller) {
            const AuthConfig& config = spec->auth.config();
            count(caller ? nullptr : &caller.failure());
            if (caller) {
                std::vector<std::string> missing_scopes;
                Denial step_up{};
                const auto refused = judge(*caller, config, missing_scopes, step_up);
                if (!refused) return deliver(*caller, config);
                auto challenge = spec->challenge(*scheme);
                // RFC 6750 3.1: a token lacking scopes says which, so that its client may ask for them.
                if (caller->token != nullptr)
                    for (const auto& name : missing_scopes) challenge.scope += (challenge.scope.empty() ? "" : " ") + name;
                // RFC 9470: what a new sign-in must bring.
                challenge.acr_values = std::move(step_up.acr_values);
                challenge.max_age = step_up.max_age;
                return refuse(writer, config, *spec->http, *refused, challenge, *request, user_id(caller->user));
            }
            if constexpr (presence == Presence::optional) {
                if (is_callers_fault(caller.failure()))
                    return call(spec->handler, *request, writer, static_cast<const User*>(nullptr), nullptr, nullptr,
                                config.tokens.log);
            }
            refuse(writer, config, *spec->http, caller.failure(), spec->challenge(*scheme), *request);
        }

        // Records the authentication's result (`failure`, or success when null) and duration.
        void count(const Failure* failure) const noexcept {
            const auto& counts = spec->auth.engine().instruments();
            const auto result = failure != nullptr ? instruments::Result::failure : instruments::Result::success;
            counts.authentication_attempts.add(scheme->id(), result,
                                               failure != nullptr ? instruments::error_type(failure->kind)
                                                                  : instruments::ErrorType::none);
            if (counts.authentication_duration)
                counts.authentication_duration
                    .record(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), scheme->id(),
                            result);
        }

        // Why the route refuses `caller`: its rule (a predicate of yours may throw), then freshness;
        // the scopes it lacks, when that is why, in `missing_scopes`; a token that must step up
        // (RFC 9470), in `step_up`. A refusal is counted by the kind of demand that failed (a rule
        // that threw is no refusal: a 500).
        std::optional<Failure> judge(const Caller<User>& caller, const AuthConfig& config,
                                     std::vector<std::string>& missing_scopes, Denial& step_up) const {
            const auto& refusals = spec->auth.engine().instruments().authorization_refusals;
            try {
                if (auto why = refusal(spec->rule, principal(caller), config.wildcards, &missing_scopes,
                                       unix_seconds(config.tokens.clock))) {
                    refusals.add(why->kind);
                    if (why->step_up()) {
                        Failure failure{ErrorKind::stale_token, why->message, "step-up: " + why->message, {}};
                        step_up = std::move(*why);
                        return failure;
                    }
                    return Forbidden(std::move(why->message)).failure();
                }
            } catch (...) {
                return failure_of(std::current_exception(), "access rule");
            }
            if (spec->fresh && (caller.token == nullptr || !caller.token->fresh)) {
                refusals.add(instruments::RuleKind::fresh_token);
                return FreshTokenRequired().failure();
            }
            return std::nullopt;
        }

        void deliver(const Caller<User>& caller, const AuthConfig& config) {
            if constexpr (presence == Presence::optional)
                call(spec->handler, *request, writer, &caller.user, caller.token, caller.key, config.tokens.log);
            else if constexpr (takes_principal<Handler>)
                call(spec->handler, *request, writer, principal(caller), caller.token, caller.key, config.tokens.log);
            else
                call(spec->handler, *request, writer, caller.user, caller.token, caller.key, config.tokens.log);
        }

        Principal<User> principal(const Caller<User>& caller) const {
            return {caller.user, scheme->id(), caller.token != nullptr ? caller.token->scopes : caller.key->scopes, caller.token,
                    caller.key};
        }
    };
};

template <class User, class Handler, Presence P>
Endpoint::Endpoint(GuardedRoute<User, Handler, P> route) : Endpoint(GuardBuilder<User>::guard(std::move(route))) {}

}  // namespace fauth::http
