#include "fauth/http/resource_metadata.hpp"

#include "fauth/core/errors.hpp"
#include "fauth/oidc/fetch.hpp"
#include "fauth/http/response.hpp"

namespace fauth::http {
namespace {

// `resource` split after its authority: {"https://api.example.com", "/notes"}. Throws
// ConfigError unless it is an http(s) URL with a host and no query or fragment.
std::pair<std::string_view, std::string_view> split_resource(std::string_view resource) {
    const auto refuse = [&](const std::string& why) {
        return ConfigError("ProtectedResource.resource '" + std::string(resource) + "' " + why);
    };
    const bool https = resource.starts_with("https://");
    if (!https && !resource.starts_with("http://")) throw refuse("is not an http(s) URL");
    const auto authority = resource.find("://") + 3;
    const auto path = resource.find('/', authority);
    if (resource.find_first_of("?#") != std::string_view::npos)
        throw refuse("has a query or a fragment (RFC 9728 section 1.2: a resource identifier has neither)");
    const auto origin = resource.substr(0, path);
    if (origin.size() == authority || origin.find('@') != std::string_view::npos) throw refuse("has no host, or has a user name");
    return {origin, path == std::string_view::npos ? std::string_view() : resource.substr(path)};
}

}  // namespace

std::string resource_metadata_path(std::string_view resource) {
    auto [origin, path] = split_resource(resource);
    // Section 3.1: a terminating slash right after the host is removed; any other path follows the well-known one.
    if (path == "/") path = {};
    return std::string(kResourceMetadataPath) + std::string(path);
}

std::string resource_metadata_url(std::string_view resource) {
    return std::string(split_resource(resource).first) + resource_metadata_path(resource);
}

Endpoint protected_resource_endpoint(ProtectedResource metadata) {
    if (metadata.resource.empty()) throw ConfigError("ProtectedResource.resource is empty: name this resource server's URL");
    (void)split_resource(metadata.resource);  // a URL its well-known address can be made from
    for (const auto& server : metadata.authorization_servers) {
        try {
            oidc::check_fetch_url(server, {});  // the rule fauth itself fetches by: https, or loopback http
        } catch (const ConfigError& e) {
            throw ConfigError("ProtectedResource.authorization_servers: " + std::string(e.what()));
        }
    }
    nlohmann::json document = {{"resource", metadata.resource}, {"bearer_methods_supported", metadata.bearer_methods_supported}};
    if (!metadata.authorization_servers.empty()) document["authorization_servers"] = metadata.authorization_servers;
    if (!metadata.scopes_supported.empty()) document["scopes_supported"] = metadata.scopes_supported;
    if (!metadata.resource_name.empty()) document["resource_name"] = metadata.resource_name;
    if (!metadata.dpop_signing_alg_values_supported.empty())
        document["dpop_signing_alg_values_supported"] = metadata.dpop_signing_alg_values_supported;
    if (metadata.dpop_bound_access_tokens_required) document["dpop_bound_access_tokens_required"] = true;
    if (metadata.tls_client_certificate_bound_access_tokens) document["tls_client_certificate_bound_access_tokens"] = true;
    Endpoint endpoint([document = std::move(document)](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer) {
        send_json(writer, Pistache::Http::Code::Ok, document);
    });
    endpoint.doc.summary = "OAuth 2.0 Protected Resource Metadata (RFC 9728): who issues this API's tokens";
    endpoint.doc.tags = {"Keys"};
    return endpoint;
}

}  // namespace fauth::http
