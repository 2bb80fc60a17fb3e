#include "fauth/http/openapi.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/http/scheme.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace fauth::http {
namespace {

using nlohmann::json;

std::string operation_id(const RouteRecord& r) {
    std::string id = ascii_lower(r.method);
    for (const char c : r.path) {
        if (std::isalnum(static_cast<unsigned char>(c)))
            id += c;
        else if (id.back() != '_')
            id += '_';
    }
    while (!id.empty() && id.back() == '_') id.pop_back();
    return id;
}

json path_parameters(std::string_view path) {
    json params = json::array();
    std::size_t pos = 0;
    while ((pos = path.find(':', pos)) != std::string_view::npos) {
        auto end = path.find('/', pos);
        auto name = path.substr(pos + 1, end == std::string_view::npos ? std::string_view::npos : end - pos - 1);
        if (!name.empty() && name.back() == '?') name.remove_suffix(1);
        params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
        pos = end == std::string_view::npos ? path.size() : end;
    }
    return params;
}

// The security requirements of an operation accepting `schemes`: any one of these.
json accepted_schemes(std::span<const Scheme> schemes, const SchemeSettings& settings) {
    json accepted = json::array();
    for (const auto& scheme : make_schemes(schemes, settings)) scheme->require(accepted);
    return accepted;
}

json operation(const RouteRecord& r, const SchemeSettings& settings) {
    const json schemes = accepted_schemes(r.schemes, settings);
    json op = json::object();
    op["operationId"] = operation_id(r);
    if (!r.doc.summary.empty()) op["summary"] = r.doc.summary;
    std::string description = r.doc.description;
    if (!r.doc.tags.empty()) op["tags"] = r.doc.tags;
    auto params = path_parameters(r.path);
    if (r.doc.parameters.is_array())
        for (const auto& p : r.doc.parameters) params.push_back(p);
    if (!params.empty()) op["parameters"] = params;
    if (!r.doc.request_body.is_null()) op["requestBody"] = r.doc.request_body;
    json responses = r.doc.responses.is_object() ? r.doc.responses : json::object();
    if (responses.empty()) responses["200"] = {{"description", "Successful Response"}};

    if (r.access == Access::required) {
        op["security"] = schemes;
        responses["401"] = error_response_doc(r.fresh ? "Not authenticated, the token is invalid or expired, or it is not fresh"
                                                      : "Not authenticated, or the credentials are invalid or expired");
        if (r.fresh)
            description += (description.empty() ? "" : "\n\n") +
                           std::string("Requires a fresh token: one from a password login, not from a refresh.");
        std::string needs = "Inactive user";
        if (!r.rule.empty()) {
            needs += ", or the route's requirement is not met";
            description += (description.empty() ? "" : "\n\n") + std::string("Requires ") + r.rule.description() + ".";
        }
        responses["403"] = error_response_doc(needs);
    } else if (r.access == Access::optional) {
        json optional = json::array({json::object()});
        for (const auto& s : schemes) optional.push_back(s);
        op["security"] = optional;
    } else {
        op["security"] = json::array();  // public on purpose, not forgotten
    }
    if (!description.empty()) op["description"] = description;
    op["responses"] = responses;
    return op;
}

}  // namespace

json error_response_doc(const std::string& description) {
    return {{"description", description},
            {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/HTTPError"}}}}}}}};
}

std::string openapi_path(std::string_view pistache_path) {
    std::string out;
    std::size_t i = 0;
    while (i < pistache_path.size()) {
        if (pistache_path[i] == ':') {
            auto end = pistache_path.find('/', i);
            if (end == std::string_view::npos) end = pistache_path.size();
            auto name = pistache_path.substr(i + 1, end - i - 1);
            if (!name.empty() && name.back() == '?') name.remove_suffix(1);
            out += '{';
            out += name;
            out += '}';
            i = end;
        } else {
            out += pistache_path[i++];
        }
    }
    return out;
}

json build_openapi(const std::vector<RouteRecord>& routes, const OpenApiInfo& info, std::string_view token_url,
                   const CookieSettings& cookies, const ApiKeyTransport& api_keys) {
    HttpConfig config;
    config.token_url = std::string(token_url);
    config.cookies = cookies;
    config.api_keys = api_keys;
    return build_openapi(routes, info, config);
}

json build_openapi(const std::vector<RouteRecord>& routes, const OpenApiInfo& info, const HttpConfig& config) {
    if (info.servers.empty()) throw std::invalid_argument("fauth: OpenApiInfo::servers is empty; the default is {\"/\"}");
    json servers = json::array();
    for (const auto& url : info.servers) {
        if (url.empty())
            throw std::invalid_argument(
                "fauth: OpenApiInfo::servers names an empty URL; use \"/\" for the document's own origin");
        servers.push_back({{"url", url}});
    }
    const SchemeSettings settings = scheme_settings(config);
    json doc;
    doc["openapi"] = "3.1.0";
    doc["info"] = {{"title", info.title}, {"version", info.version}};
    if (!info.description.empty()) doc["info"]["description"] = info.description;
    doc["servers"] = std::move(servers);
    json paths = json::object();
    for (const auto& r : routes) {
        if (r.doc.hidden) continue;
        paths[openapi_path(r.path)][ascii_lower(r.method)] = operation(r, settings);
    }
    doc["paths"] = paths;
    doc["components"] =
        {{"securitySchemes", json::object()},
         {"schemas",
          {{"HTTPError",
            {{"type", "object"}, {"properties", {{"detail", {{"type", "string"}}}}}, {"required", json::array({"detail"})}}},
           {"TokenResponse",
            {{"type", "object"},
             {"properties",
              {{"access_token", {{"type", "string"}}},
               {"refresh_token", {{"type", "string"}}},
               {"token_type",
                {{"type", "string"},
                 {"enum", json::array({"bearer", "DPoP"})},
                 {"description", "DPoP: the tokens are bound to the key of the request's DPoP proof (RFC 9449)"}}},
               {"expires_in", {{"type", "integer"}}}}},
             {"required", json::array({"access_token", "refresh_token", "token_type", "expires_in"})}}}}}};
    // Declared: the schemes some route (or the default) accepts, each once.
    const auto defaults = default_schemes(settings);
    std::vector<Scheme> used(defaults.begin(), defaults.end());
    for (const auto& r : routes)
        if (!r.doc.hidden && r.access != Access::open)
            for (const auto id : r.schemes)
                if (std::find(used.begin(), used.end(), id) == used.end()) used.push_back(id);
    for (const auto id : used) make_scheme(id, settings)->declare(doc["components"]["securitySchemes"]);
    return doc;
}

}  // namespace fauth::http
