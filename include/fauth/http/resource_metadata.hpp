/// @file
/// fauth/http/resource_metadata.hpp — OAuth 2.0 Protected Resource Metadata (RFC 9728): what a
/// resource server publishes so that clients (OAuth 2.1 clients, MCP clients) can find the
/// authorization server that issues its tokens and the scopes it knows.
#pragma once

#include <string>
#include <string_view>
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
    /// The algorithms DPoP proofs may use (RFC 9449 section 5.1), when it takes DPoP;
    /// Api::serve_resource_metadata fills it from HttpConfig::dpop when left empty.
    std::vector<std::string> dpop_signing_alg_values_supported;
    /// Every token must be DPoP-bound (DpopMode::require); Api::serve_resource_metadata sets it so.
    bool dpop_bound_access_tokens_required = false;
    /// Every token must be bound to the client's certificate (RFC 8705,
    /// CertificateBindingMode::require); Api::serve_resource_metadata sets it so.
    bool tls_client_certificate_bound_access_tokens = false;
};

/// The path every resource's metadata URL starts with (RFC 9728 section 3).
inline constexpr std::string_view kResourceMetadataPath = "/.well-known/oauth-protected-resource";

/// The URL of `resource`'s metadata document (RFC 9728 section 3.1): the well-known path goes
/// between the host and the resource's path, so "https://api.example.com/notes" has
/// "https://api.example.com/.well-known/oauth-protected-resource/notes" and
/// "https://api.example.com" (or ".../") has "https://api.example.com/.well-known/oauth-protected-resource".
/// Set HttpConfig::resource_metadata_url to it. Throws ConfigError for a resource that is not an
/// http(s) URL with a host, or that has a query or a fragment.
std::string resource_metadata_url(std::string_view resource);

/// The path of that URL on this server, where Api::serve_resource_metadata mounts the document:
/// "/.well-known/oauth-protected-resource/notes" for "https://api.example.com/notes".
std::string resource_metadata_path(std::string_view resource);

/// GET handler for the metadata document; Api::serve_resource_metadata mounts it at
/// resource_metadata_path(metadata.resource) (or mount it there yourself), and set
/// HttpConfig::resource_metadata_url to resource_metadata_url(metadata.resource), so that 401s
/// point to it. Throws ConfigError for an empty resource or an authorization server that is not
/// an https URL.
Endpoint protected_resource_endpoint(ProtectedResource metadata);

}  // namespace fauth::http
