#include "fauth/http/api.hpp"

#include <mutex>

#include "fauth/http/cookies.hpp"
#include "fauth/http/response.hpp"
#include "swagger_ui.hpp"

namespace fauth::http {

using Pistache::Http::Method;
using Pistache::Rest::Request;
using Pistache::Rest::Route;

struct Api::Shared {
    std::shared_ptr<const HttpConfig> config;
    std::vector<RouteRecord> routes;
    std::mutex mutex;
};

namespace {

RouteDoc merged(RouteDoc base, RouteDoc over) {
    if (!over.summary.empty()) base.summary = std::move(over.summary);
    if (!over.description.empty()) base.description = std::move(over.description);
    if (!over.tags.empty()) base.tags = std::move(over.tags);
    if (!over.request_body.is_null()) base.request_body = std::move(over.request_body);
    if (over.responses.is_object() && !over.responses.empty()) base.responses = std::move(over.responses);
    base.hidden = base.hidden || over.hidden;
    return base;
}

}  // namespace

Pistache::Rest::Route::Handler Endpoint::mounted(const std::shared_ptr<const HttpConfig>& http) const {
    if (handler) return handler;
    if (make) return make(http);
    return {};
}

Pistache::Rest::Route::Handler mount(Endpoint endpoint, HttpConfig config) {
    auto handler = endpoint.mounted(std::make_shared<const HttpConfig>(in_force(std::move(config))));
    if (!handler) throw std::invalid_argument("fauth: mount: the endpoint has no handler");
    return handler;
}

Api::Api(Pistache::Rest::Router& router, HttpConfig config) : router_(router), shared_(std::make_shared<Shared>()) {
    shared_->config = std::make_shared<const HttpConfig>(in_force(std::move(config)));
}

const HttpConfig& Api::config() const noexcept { return *shared_->config; }

void Api::get(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Get, path, std::move(e), std::move(doc)); }
void Api::post(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Post, path, std::move(e), std::move(doc)); }
void Api::put(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Put, path, std::move(e), std::move(doc)); }
void Api::patch(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Patch, path, std::move(e), std::move(doc)); }
void Api::del(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Delete, path, std::move(e), std::move(doc)); }

void Api::route(Method method, const std::string& path, Endpoint endpoint, RouteDoc doc) {
    const auto& cookies = shared_->config->cookies;
    if (endpoint.reads_refresh_cookie && cookies.accepts_cookie() && !cookie_path_matches(cookies.refresh_path, path))
        throw ConfigError("fauth: route " + path + " reads the refresh cookie, which browsers send only to " +
                          cookies.refresh_path + " (HttpConfig::cookies.refresh_path): route it there or below");
    auto handler = endpoint.mounted(shared_->config);
    if (!handler) throw std::invalid_argument("fauth: route " + path + " has no handler");
    router_.addRoute(method, path, std::move(handler));
    std::lock_guard lock(shared_->mutex);
    shared_->routes.push_back(RouteRecord{Pistache::Http::methodString(method), path, endpoint.access, std::move(endpoint.rule),
                                          endpoint.fresh, std::move(endpoint.schemes),
                                          merged(std::move(endpoint.doc), std::move(doc))});
}

const std::vector<RouteRecord>& Api::routes() const noexcept { return shared_->routes; }

nlohmann::json Api::openapi(const OpenApiInfo& info) const {
    std::lock_guard lock(shared_->mutex);
    return build_openapi(shared_->routes, info, *shared_->config);
}

void Api::serve_openapi(const std::string& path, OpenApiInfo info) {
    // Built on first request, so that it describes routes added after this call too; built once
    // now so that a bad `info` is refused here rather than answered with 500.
    (void)build_openapi({}, info, *shared_->config);
    auto cache = std::make_shared<std::pair<std::once_flag, std::string>>();
    Endpoint endpoint([shared = shared_, info, cache](const Request&, Pistache::Http::ResponseWriter writer) {
        std::call_once(cache->first, [&] {
            std::lock_guard lock(shared->mutex);
            cache->second = build_openapi(shared->routes, info, *shared->config).dump();
        });
        writer.send(Pistache::Http::Code::Ok, cache->second, MIME(Application, Json));
    });
    route(Method::Get, path, std::move(endpoint), RouteDoc{.hidden = true});
}

void Api::serve_metrics(const std::string& path, std::shared_ptr<const PrometheusRegistry> registry) {
    if (registry == nullptr) throw ConfigError("Api::serve_metrics: no registry");
    route(Method::Get, path, metrics_endpoint(std::move(registry)));
}

void Api::serve_resource_metadata(ProtectedResource metadata) {
    const auto url = resource_metadata_url(metadata.resource);
    const auto& announced = shared_->config->resource_metadata_url;
    if (!announced.empty() && announced != url)
        throw ConfigError("HttpConfig.resource_metadata_url is " + announced + ", but the metadata of " + metadata.resource +
                          " is served at " + url + " (RFC 9728 section 3.1): set it to resource_metadata_url(resource)");
    // What DPoP clients need to know (RFC 9728 section 2): the proof algorithms, and whether
    // unbound tokens are refused.
    const auto& dpop = shared_->config->dpop;
    if (dpop.mode != DpopMode::off && metadata.dpop_signing_alg_values_supported.empty())
        metadata.dpop_signing_alg_values_supported = dpop.policy.algorithms;
    if (dpop.mode == DpopMode::require) metadata.dpop_bound_access_tokens_required = true;
    if (shared_->config->certificate_binding.mode == CertificateBindingMode::require)
        metadata.tls_client_certificate_bound_access_tokens = true;
    auto path = resource_metadata_path(metadata.resource);
    if (path.find_first_of(":*") != std::string::npos)  // Pistache would read them as route parameters
        throw ConfigError("ProtectedResource.resource '" + metadata.resource + "': a path with ':' or '*' cannot be routed");
    route(Method::Get, path, protected_resource_endpoint(std::move(metadata)));
}

namespace {

// Every answer under Swagger UI's path: its Content-Security-Policy, no framing, no sniffing.
void add_swagger_ui_headers(Pistache::Http::ResponseWriter& writer) {
    writer.headers().add<SwaggerUiCsp>().add<FrameOptionsDeny>().add<ContentTypeOptionsNosniff>();
}

}  // namespace

void Api::serve_swagger_ui(const std::string& path, SwaggerUiOptions options) {
    const auto ui = std::make_shared<const SwaggerUi>(load_swagger_ui(options, path));
    route(Method::Get, path, Endpoint([ui](const Request&, Pistache::Http::ResponseWriter writer) {
              add_swagger_ui_headers(writer);
              writer.send(Pistache::Http::Code::Ok, ui->index_html, MIME(Text, Html));
          }),
          RouteDoc{.hidden = true});
    for (const auto& asset : ui->assets) {
        route(Method::Get, path + "/" + asset.name, Endpoint([ui, &asset](const Request&, Pistache::Http::ResponseWriter writer) {
                  add_swagger_ui_headers(writer);
                  writer.send(Pistache::Http::Code::Ok, asset.body,
                              Pistache::Http::Mime::MediaType::fromString(asset.media_type));
              }),
              RouteDoc{.hidden = true});
    }
}

std::shared_ptr<Pistache::Http::Handler> Api::handler() {
    // Pistache 0.0.5's Router::route does routes[method] (an inserting lookup) on the router all
    // worker threads share; give every method an entry now so that lookup never inserts.
    static const Method kMethods[] = {Method::Options, Method::Get,    Method::Post,  Method::Head,   Method::Put,
                                      Method::Patch,   Method::Delete, Method::Trace, Method::Connect};
    for (const auto m : kMethods) {
        router_.addRoute(m, "/__fauth_prefill__",
                         [](const Request&, Pistache::Http::ResponseWriter) { return Route::Result::Ok; });
        router_.removeRoute(m, "/__fauth_prefill__");
    }
    router_.addNotFoundHandler([](const Request&, Pistache::Http::ResponseWriter writer) {
        send_detail(writer, Pistache::Http::Code::Not_Found, "Not Found");
        return Route::Result::Ok;
    });
    return router_.handler();
}

}  // namespace fauth::http
