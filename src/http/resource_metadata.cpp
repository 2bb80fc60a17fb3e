#include "fauth/http/resource_metadata.hpp"

#include "fauth/core/errors.hpp"
#include "fauth/oidc/fetch.hpp"
#include "fauth/http/response.hpp"

namespace fauth::http {

Endpoint protected_resource_endpoint(ProtectedResource metadata) {
    if (metadata.resource.empty()) throw ConfigError("ProtectedResource.resource is empty: name this resource server's URL");
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
    Endpoint endpoint([document = std::move(document)](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer) {
        send_json(writer, Pistache::Http::Code::Ok, document);
    });
    endpoint.doc.summary = "OAuth 2.0 Protected Resource Metadata (RFC 9728): who issues this API's tokens";
    endpoint.doc.tags = {"Keys"};
    return endpoint;
}

}  // namespace fauth::http
