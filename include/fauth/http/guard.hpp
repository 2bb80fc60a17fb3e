// fauth/http/guard.hpp — guards: Pistache handlers that authenticate the bearer token, load the
// user through the asynchronous user_loader, check roles and permissions, and only then call your
// handler with the user. Include this header to use AuthProvider's require_user and friends.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

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
// or ResponseWriter&&, const User& or const User*). Any other parameter (a User by value, a type
// converted from it) is made by the caller, outside the handler's noexcept, and could throw.
template <class User, class... A>
inline constexpr bool exact_handler_parameters = false;
template <class User, class W, class U>
inline constexpr bool exact_handler_parameters<User, const Pistache::Rest::Request&, W, U> =
    (std::is_same_v<W, Pistache::Http::ResponseWriter> || std::is_same_v<W, Pistache::Http::ResponseWriter&&>) &&
    (std::is_same_v<U, const User&> || std::is_same_v<U, const User*>);
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
    /// A guard that calls `handler(request, writer, const User&)` for an active user meeting `rule`.
    template <class Handler>
    static Endpoint required(const AuthProvider<User>& auth, AccessRule rule, Handler handler) {
        static_assert(std::is_invocable_v<Handler&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter, const User&>,
                      "fauth: a guarded handler takes (const Rest::Request&, Http::ResponseWriter, const User&)");
        struct Spec {
            const AuthProvider<User>& auth;
            AccessRule rule;
            Handler handler;
        };
        auto spec = std::make_shared<Spec>(Spec{auth, rule, std::move(handler)});
        Endpoint endpoint;
        endpoint.access = Access::required;
        endpoint.rule = std::move(rule);
        endpoint.handler = [spec](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const AuthConfig& config = spec->auth.config();
            const auto credentials = credentials_of(request, config.cookies);
            const std::string_view metadata = config.resource_metadata_url;
            if (credentials.status == BearerCredentials::Status::absent) {
                send_not_authenticated(writer, metadata);
            } else if (credentials.status == BearerCredentials::Status::malformed) {
                const auto failure = std::make_exception_ptr(malformed_credentials(credentials));
                report_refusal(config, request, failure);
                send_exception(writer, failure, {true, metadata}, config.log);
            } else {
                deliver(spec->auth, request, std::move(writer), credentials.token,
                        [spec, evidence = csrf_evidence(request, credentials, config)](
                            const Pistache::Rest::Request& req, Pistache::Http::ResponseWriter& w, const User* user,
                            const TokenPayload* token, std::exception_ptr failure) {
                            const LogSink& log = spec->auth.config().log;
                            if (!failure) {
                                try {
                                    check_csrf(evidence, *token, spec->auth.tokens());
                                    require_access(*user, spec->rule);
                                    require_freshness(spec->rule, *token);
                                } catch (...) {
                                    failure = std::current_exception();
                                }
                            }
                            if (failure) {
                                report_refusal(spec->auth.config(), req, failure, token ? token->sub : std::string());
                                send_exception(w, failure, {true, spec->auth.config().resource_metadata_url}, log);
                            } else {
                                call(spec->handler, req, w, *user, token, log);
                            }
                        });
            }
            return Pistache::Rest::Route::Result::Ok;
        };
        return endpoint;
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
                call(spec->handler, request, writer, static_cast<const User*>(nullptr), nullptr, config.log);
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
                        call(spec->handler, req, w, user, token, log);
                    });
            return Pistache::Rest::Route::Result::Ok;
        };
        return endpoint;
    }

private:
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
                     const UserArg& user, const TokenPayload* token, const LogSink& log) {
        const auto invoke = [&] {
            typename SecurityContext<User>::Scope scope(user_pointer(user), token);
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
        void operator()(const User* user, const TokenPayload* token, std::exception_ptr failure, const Engine&) {
            then(*request, writer, user, token, std::move(failure));
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
