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
    std::string token_url;
    CookieSettings cookies;
    ApiKeySettings api_keys;
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

Api::Api(Pistache::Rest::Router& router, std::string token_url, CookieSettings cookies, ApiKeySettings api_keys)
    : router_(router), shared_(std::make_shared<Shared>()) {
    shared_->token_url = std::move(token_url);
    shared_->cookies = std::move(cookies);
    shared_->api_keys = std::move(api_keys);
}

void Api::get(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Get, path, std::move(e), std::move(doc)); }
void Api::post(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Post, path, std::move(e), std::move(doc)); }
void Api::put(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Put, path, std::move(e), std::move(doc)); }
void Api::patch(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Patch, path, std::move(e), std::move(doc)); }
void Api::del(const std::string& path, Endpoint e, RouteDoc doc) { route(Method::Delete, path, std::move(e), std::move(doc)); }

void Api::route(Method method, const std::string& path, Endpoint endpoint, RouteDoc doc) {
    if (!endpoint.handler) throw std::invalid_argument("fauth: route " + path + " has no handler");
    const auto& cookies = shared_->cookies;
    if (endpoint.reads_refresh_cookie && cookies.accepts_cookie() && !cookie_path_matches(cookies.refresh_path, path))
        throw ConfigError("fauth: route " + path + " reads the refresh cookie, which browsers send only to " +
                          cookies.refresh_path + " (AuthConfig::cookies.refresh_path): route it there or below");
    router_.addRoute(method, path, std::move(endpoint.handler));
    std::lock_guard lock(shared_->mutex);
    shared_->routes.push_back(
        RouteRecord{Pistache::Http::methodString(method), path, endpoint.access, std::move(endpoint.rule), endpoint.fresh,
                    std::move(endpoint.schemes), merged(std::move(endpoint.doc), std::move(doc))});
}

const std::vector<RouteRecord>& Api::routes() const noexcept { return shared_->routes; }

nlohmann::json Api::openapi(const OpenApiInfo& info) const {
    std::lock_guard lock(shared_->mutex);
    return build_openapi(shared_->routes, info, shared_->token_url, shared_->cookies, shared_->api_keys);
}

void Api::serve_openapi(const std::string& path, OpenApiInfo info) {
    // Built on first request, so that it describes routes added after this call too; built once
    // now so that a bad `info` is refused here rather than answered with 500.
    (void)build_openapi({}, info, shared_->token_url, shared_->cookies, shared_->api_keys);
    auto cache = std::make_shared<std::pair<std::once_flag, std::string>>();
    Endpoint endpoint([shared = shared_, info, cache](const Request&, Pistache::Http::ResponseWriter writer) {
        std::call_once(cache->first, [&] {
            std::lock_guard lock(shared->mutex);
            cache->second = build_openapi(shared->routes, info, shared->token_url, shared->cookies, shared->api_keys).dump();
        });
        writer.send(Pistache::Http::Code::Ok, cache->second, MIME(Application, Json));
    });
    route(Method::Get, path, std::move(endpoint), RouteDoc{.hidden = true});
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
                  writer.send(Pistache::Http::Code::Ok, asset.body, Pistache::Http::Mime::MediaType::fromString(asset.media_type));
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
        router_.addRoute(m, "/__fauth_prefill__", [](const Request&, Pistache::Http::ResponseWriter) { return Route::Result::Ok; });
        router_.removeRoute(m, "/__fauth_prefill__");
    }
    router_.addNotFoundHandler([](const Request&, Pistache::Http::ResponseWriter writer) {
        send_detail(writer, Pistache::Http::Code::Not_Found, "Not Found");
        return Route::Result::Ok;
    });
    return router_.handler();
}

}  // namespace fauth::http
