// fauth/http/resource_metadata.hpp — OAuth 2.0 Protected Resource Metadata (RFC 9728): what a
// resource server publishes so that clients (OAuth 2.1 clients, MCP clients) can find the
// authorization server that issues its tokens and the scopes it knows.
#pragma once

#include <string>
#include <vector>

#include "fauth/http/endpoint.hpp"

namespace fauth::http {

/// The metadata document's members (RFC 9728 section 2).
struct ProtectedResource {
    /// This resource server's identifier: an https URL, e.g. "https://api.example.com". Required.
    std::string resource;
    /// The issuers whose tokens it accepts, e.g. "https://keycloak.example.com/realms/main".
    std::vector<std::string> authorization_servers;
    /// The scopes it uses in authorization decisions.
    std::vector<std::string> scopes_supported;
    /// How it accepts bearer tokens (RFC 6750): fauth reads the Authorization header.
    std::vector<std::string> bearer_methods_supported{"header"};
    /// A human-readable name, when given.
    std::string resource_name;
};

/// GET handler for the metadata document; serve it at /.well-known/oauth-protected-resource (for
/// a resource identifier with a path, RFC 9728 section 3.1 puts the well-known path before it)
/// and set HttpConfig::resource_metadata_url to its full URL, so that 401s point to it. Throws
/// ConfigError for an empty resource or an authorization server that is not an https URL.
Endpoint protected_resource_endpoint(ProtectedResource metadata);

}  // namespace fauth::http
