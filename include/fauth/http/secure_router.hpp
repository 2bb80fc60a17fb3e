/// @file
/// fauth/http/secure_router.hpp — SecureRouter<User>: a group of routes under one prefix that all
/// require an active user unless a route visibly opts out, as FAuth's SecureAPIRouter.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "fauth/http/api.hpp"
#include "fauth/http/guard.hpp"

namespace fauth::http {

/// How a SecureRouter is set up.
struct SecureRouterOptions {
    /// Path prefix of every route, e.g. "/internal".
    std::string prefix;
    /// OpenAPI tags of every route.
    std::vector<std::string> tags;
    /// Roles and permissions every route demands (a route's own replace these), and `fresh`.
    AccessRule rule;
    /// A rule every route demands besides (a route's own `require` is added to it).
    Rule require;
    /// The schemes every route accepts, in order (a route's own replace them); empty: the
    /// transport's (bearer, the session cookie).
    std::vector<Scheme> schemes;
};

/// How one SecureRouter route is set up.
struct RouteOptions {
    /// Its description (tags are added to the router's).
    RouteDoc doc;
    /// Roles and permissions it demands; non-empty lists replace the router's.
    AccessRule rule;
    /// A rule it demands besides the router's.
    Rule require;
    /// The schemes it accepts, in order; non-empty replaces the router's.
    std::vector<Scheme> schemes;
};

/// A public handler on a SecureRouter: made by allow_anonymous, so the opt-out is visible.
template <class Handler>
struct Anonymous {
    /// The handler `(const Rest::Request&, Http::ResponseWriter)`.
    Handler handler;
};

/// Marks `handler` as public on a SecureRouter; it takes `(const Rest::Request&, Http::ResponseWriter)`.
template <class Handler>
Anonymous<Handler> allow_anonymous(Handler handler) {
    return {std::move(handler)};
}

/// Routes under one prefix that require an active user (and the router's roles/permissions and
/// rule); handlers take `(const Rest::Request&, Http::ResponseWriter, const User&)` or
/// `(..., const Principal<User>&)`. Routes are added to
/// the Api (and so to its OpenAPI document, with `security` on each protected operation).
template <class User>
class SecureRouter {
public:
    /// Routes go to `api` (and are mounted with its HttpConfig), guarded by `auth`.
    SecureRouter(Api& api, const AuthProvider<User>& auth, SecureRouterOptions options)
        : api_(api), auth_(auth), options_(std::move(options)) {}

    /// Adds GET prefix+`path`.
    template <class H>
    void get(const std::string& path, H handler, RouteOptions options = {}) {
        add(Pistache::Http::Method::Get, path, std::move(handler), std::move(options));
    }
    /// Adds POST prefix+`path`.
    template <class H>
    void post(const std::string& path, H handler, RouteOptions options = {}) {
        add(Pistache::Http::Method::Post, path, std::move(handler), std::move(options));
    }
    /// Adds PUT prefix+`path`.
    template <class H>
    void put(const std::string& path, H handler, RouteOptions options = {}) {
        add(Pistache::Http::Method::Put, path, std::move(handler), std::move(options));
    }
    /// Adds PATCH prefix+`path`.
    template <class H>
    void patch(const std::string& path, H handler, RouteOptions options = {}) {
        add(Pistache::Http::Method::Patch, path, std::move(handler), std::move(options));
    }
    /// Adds DELETE prefix+`path`.
    template <class H>
    void del(const std::string& path, H handler, RouteOptions options = {}) {
        add(Pistache::Http::Method::Delete, path, std::move(handler), std::move(options));
    }

    /// Adds `method` prefix+`path`: guarded, or public when wrapped in allow_anonymous.
    template <class H>
    void add(Pistache::Http::Method method, const std::string& path, H handler, RouteOptions options = {}) {
        RouteDoc doc = std::move(options.doc);
        doc.tags.insert(doc.tags.begin(), options_.tags.begin(), options_.tags.end());
        if constexpr (is_anonymous<H>::value) {
            api_.route(method, options_.prefix + path, Endpoint(std::move(handler.handler)), std::move(doc));
        } else {
            static_assert(std::is_invocable_v<H&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter, const User&> ||
                              std::is_invocable_v<H&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter,
                                                  const Principal<User>&>,
                          "fauth: SecureRouter handlers take (const Rest::Request&, Http::ResponseWriter, const User&) or "
                          "(..., const Principal<User>&); wrap a public handler in fauth::http::allow_anonymous(...)");
            AccessRule rule = options_.rule;
            // The route's fresh adds to the router's: either asks for it, and neither is dropped.
            const bool fresh = options_.rule.fresh || options.rule.fresh;
            rule.fresh = false;
            if (!options.rule.roles.empty()) {
                rule.roles = std::move(options.rule.roles);
                rule.roles_match = options.rule.roles_match;
            }
            if (!options.rule.permissions.empty()) {
                rule.permissions = std::move(options.rule.permissions);
                rule.permissions_match = options.rule.permissions_match;
            }
            auto schemes = options.schemes.empty() ? options_.schemes : std::move(options.schemes);
            api_.route(method, options_.prefix + path,
                       GuardedRoute<User, H>{&auth_, all_of(Rule(rule), options_.require, std::move(options.require)), fresh,
                                             std::move(schemes), std::move(handler)},
                       std::move(doc));
        }
    }

private:
    template <class H>
    struct is_anonymous : std::false_type {};
    template <class H>
    struct is_anonymous<Anonymous<H>> : std::true_type {};

    Api& api_;
    const AuthProvider<User>& auth_;
    SecureRouterOptions options_;
};

}  // namespace fauth::http
