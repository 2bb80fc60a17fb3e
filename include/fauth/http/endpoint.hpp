/// @file
/// fauth/http/endpoint.hpp — a Pistache route handler together with what the OpenAPI document
/// needs to know about it (who may call it, how it is described).
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <pistache/router.h>

#include "fauth/auth/access.hpp"
#include "fauth/auth/guarded_route.hpp"
#include "fauth/http/config.hpp"
#include "fauth/http/response.hpp"

namespace fauth::http {

/// How an OpenAPI operation is described. Empty fields are left out of the document.
struct RouteDoc {
    /// One-line summary.
    std::string summary{};
    /// Longer description (CommonMark).
    std::string description{};
    /// Tags that group operations in Swagger UI.
    std::vector<std::string> tags{};
    /// An OpenAPI Request Body Object, or null.
    nlohmann::json request_body{};
    /// OpenAPI Parameter Objects besides the path's (a header, say), or null.
    nlohmann::json parameters{};
    /// OpenAPI Responses Object entries by status ("200": {...}); a default 200 when empty.
    nlohmann::json responses = nlohmann::json::object();
    /// Leave the route out of the OpenAPI document (as /docs and /openapi.json are).
    bool hidden = false;
};

/// Who may call a route.
enum class Access {
    open,      ///< anyone; no token is read
    optional,  ///< anyone; a valid bearer token identifies the user
    required,  ///< an active user, authenticated by one of `schemes`, meeting `rule`
};

/// A route handler for Pistache's router plus its access and documentation. Any Pistache handler
/// `(const Rest::Request&, Http::ResponseWriter)` converts to an open Endpoint; a GuardedRoute
/// (AuthProvider's require_user and friends) to a protected one. Every Endpoint answers an
/// exception that escapes it with a JSON 500.
struct Endpoint {
    /// Makes the handler given to Pistache once the HttpConfig the endpoint is mounted with is
    /// known (Api::route, mount); throws ConfigError when that configuration cannot serve it.
    using Make = std::function<Pistache::Rest::Route::Handler(const std::shared_ptr<const HttpConfig>&)>;

    /// The handler given to Pistache; empty until mounted for an endpoint made by `make`.
    Pistache::Rest::Route::Handler handler;
    /// What makes `handler` when the endpoint is mounted (guards, login, refresh, logout).
    Make make;
    /// Who may call it.
    Access access = Access::open;
    /// What is demanded of the caller when access is required.
    Rule rule;
    /// Only a fresh token (from a password login) is accepted.
    bool fresh = false;
    /// The schemes accepted, in the order they are read; empty: HttpConfig::cookies's transport.
    std::vector<Scheme> schemes;
    /// How it is documented.
    RouteDoc doc;
    /// It reads the refresh cookie (refresh_endpoint, logout_endpoint): while cookies are accepted,
    /// Api routes it only where browsers send that cookie (CookieSettings::refresh_path).
    bool reads_refresh_cookie = false;

    Endpoint() = default;

    /// An open endpoint around a plain Pistache handler (returning Route::Result or void).
    template <class H>
    requires std::is_invocable_v<H&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter> Endpoint(
        H h)  // NOLINT: implicit on purpose, so plain handlers can be passed where Endpoints are
        : handler(guard_exceptions(std::move(h))) {}

    /// A guarded route, made into a handler when mounted (defined in fauth/http/guard.hpp, which
    /// fauth/http/api.hpp includes).
    template <class User, class Handler, Presence P>
    Endpoint(GuardedRoute<User, Handler, P> route);  // NOLINT: implicit, so `api.get(path, auth.require_user(h))` reads as it did

    /// The handler to mount this endpoint with under `http` (validated): `handler`, or what `make` makes.
    Pistache::Rest::Route::Handler mounted(const std::shared_ptr<const HttpConfig>& http) const;

    /// Wraps `h` so that an exception escaping it is answered with our JSON 500 (logged to `log`)
    /// instead of Pistache's, which sends the exception's message to the client.
    template <class H>
    static Pistache::Rest::Route::Handler guard_exceptions(H h, LogSink log = {}) {
        return [h = std::move(h), log = std::move(log)](const Pistache::Rest::Request& request,
                                                        Pistache::Http::ResponseWriter writer) mutable {
            auto fallback = writer.clone();
            try {
                if constexpr (std::is_void_v<
                                  std::invoke_result_t<H&, const Pistache::Rest::Request&, Pistache::Http::ResponseWriter>>) {
                    h(request, std::move(writer));
                    return Pistache::Rest::Route::Result::Ok;
                } else {
                    return h(request, std::move(writer));
                }
            } catch (...) {
                send_exception(fallback, std::current_exception(), false, log);
                return Pistache::Rest::Route::Result::Ok;
            }
        };
    }
};

}  // namespace fauth::http
