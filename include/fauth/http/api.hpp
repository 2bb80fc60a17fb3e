/// @file
/// fauth/http/api.hpp — registers routes on a Pistache router while recording them for the
/// OpenAPI document, and serves that document and Swagger UI.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/http/config.hpp"
#include "fauth/http/endpoint.hpp"
#include "fauth/http/guard.hpp"
#include "fauth/http/metrics.hpp"
#include "fauth/http/openapi.hpp"
#include "fauth/http/resource_metadata.hpp"

/// fauth on Pistache's HTTP (link fauth::http): credential schemes, guards, routes and their
/// OpenAPI document, the token endpoints, the server.
namespace fauth::http {

/// Where Swagger UI comes from and what it shows.
struct SwaggerUiOptions {
    /// Folder of the swagger-ui-dist npm package; empty means $FAUTH_SWAGGER_UI_DIR.
    std::string dist_dir;
    /// URL of the OpenAPI document the page loads; on the page's own origin (its
    /// Content-Security-Policy lets it connect nowhere else).
    std::string openapi_url = "/openapi.json";
    /// Page title.
    std::string title = "API docs";
};

/// A Pistache router plus the record of every route added through it. Register every route,
/// then call handler() (or hand the Api to fauth::http::Server) before serving: Pistache copies
/// the router when it starts.
class Api {
public:
    /// Routes go to `router`, mounted with `config` (validated here: throws ConfigError): the
    /// OAuth2 tokenUrl, the credentials protected routes accept by default (bearer, the session
    /// cookie), where API keys travel, and what the login, refresh and logout endpoints accept.
    explicit Api(Pistache::Rest::Router& router, HttpConfig config = {});

    /// The configuration routes are mounted with, in force (default cookie names prefixed).
    const HttpConfig& config() const noexcept;

    /// Adds GET `path` (Pistache syntax, e.g. "/notes/:id"); `doc` overrides the endpoint's own.
    void get(const std::string& path, Endpoint endpoint, RouteDoc doc = {});
    /// Adds POST `path`.
    void post(const std::string& path, Endpoint endpoint, RouteDoc doc = {});
    /// Adds PUT `path`.
    void put(const std::string& path, Endpoint endpoint, RouteDoc doc = {});
    /// Adds PATCH `path`.
    void patch(const std::string& path, Endpoint endpoint, RouteDoc doc = {});
    /// Adds DELETE `path`.
    void del(const std::string& path, Endpoint endpoint, RouteDoc doc = {});
    /// Adds `method` `path`; a guarded endpoint is mounted with config(), and throws ConfigError
    /// when that cannot serve it.
    void route(Pistache::Http::Method method, const std::string& path, Endpoint endpoint, RouteDoc doc = {});

    /// Every route added so far.
    const std::vector<RouteRecord>& routes() const noexcept;
    /// The OpenAPI 3.1 document of the routes added so far.
    nlohmann::json openapi(const OpenApiInfo& info) const;
    /// Serves the OpenAPI document at `path`; it describes every route added before serving.
    /// Throws std::invalid_argument for a bad `info` (see build_openapi).
    void serve_openapi(const std::string& path = "/openapi.json", OpenApiInfo info = {});
    /// Serves the resource's RFC 9728 metadata (protected_resource_endpoint) where section 3.1 puts
    /// it: resource_metadata_path(metadata.resource). Throws ConfigError for metadata that
    /// endpoint refuses, or when config().resource_metadata_url, set, names another URL than
    /// resource_metadata_url(metadata.resource) (401s would point clients elsewhere).
    void serve_resource_metadata(ProtectedResource metadata);
    /// Serves Swagger UI at `path` (and its assets below it), loading files into memory now. Every
    /// answer there carries a Content-Security-Policy (scripts, styles and connections to its own
    /// origin only; frame-ancestors 'none'), X-Frame-Options: DENY and X-Content-Type-Options:
    /// nosniff; authorizations are not kept in localStorage. Throws std::runtime_error naming the
    /// folder when swagger-ui-dist is not there.
    void serve_swagger_ui(const std::string& path = "/docs", SwaggerUiOptions options = {});
    /// Serves `registry`'s metrics at `path` (GET, Prometheus's text format; hidden from OpenAPI),
    /// open to whoever reaches this server: guard it instead with metrics_handler inside a guard,
    /// or serve it from a second Server bound to an address only the scraper reaches.
    void serve_metrics(const std::string& path, std::shared_ptr<const PrometheusRegistry> registry);

    /// The handler to give a Pistache endpoint. Also answers unknown routes with 404
    /// {"detail": "Not Found"} and closes Pistache 0.0.5's routing data race (see PISTACHE_NOTES).
    std::shared_ptr<Pistache::Http::Handler> handler();

private:
    struct Shared;
    Pistache::Rest::Router& router_;
    std::shared_ptr<Shared> shared_;
};

/// The handler of `endpoint` (a guarded route, say) for a bare Pistache router, mounted with
/// `config` (validated: throws ConfigError, as does a route `config` cannot serve). It is not
/// recorded in any OpenAPI document.
Pistache::Rest::Route::Handler mount(Endpoint endpoint, HttpConfig config = {});

}  // namespace fauth::http
