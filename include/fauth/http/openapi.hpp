/// @file
/// fauth/http/openapi.hpp — the OpenAPI 3.1 document of every route registered through fauth,
/// with the security schemes that make Swagger UI's "Authorize" button work.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/auth/access.hpp"
#include "fauth/http/config.hpp"

#include "fauth/http/endpoint.hpp"

namespace fauth::http {

/// The document's `info` object.
struct OpenApiInfo {
    /// API title.
    std::string title = "fauth API";
    /// API version.
    std::string version = "1.0.0";
    /// Optional description (CommonMark).
    std::string description;
    /// The document's `servers`, base URLs of its paths. The default, a relative "/", is the
    /// origin the document was fetched from: right behind a proxy that forwards paths unchanged.
    /// Behind one that mounts the API under a prefix, name it ("/prefix" or an absolute URL).
    std::vector<std::string> servers = {"/"};
};

/// One registered route, as the document builder sees it.
struct RouteRecord {
    /// Upper-case HTTP method, e.g. "GET".
    std::string method;
    /// Path in Pistache's syntax, e.g. "/notes/:id".
    std::string path;
    /// Who may call it.
    Access access = Access::open;
    /// What a required-access route demands.
    Rule rule;
    /// It takes fresh tokens only.
    bool fresh = false;
    /// The schemes it accepts, in order (empty: the transport's bearer and cookie).
    std::vector<Scheme> schemes;
    /// Its description.
    RouteDoc doc;
};

/// Name of the OAuth2 password-flow security scheme in the document.
inline constexpr const char* kOAuth2Scheme = "OAuth2PasswordBearer";
/// Name of the plain HTTP bearer security scheme in the document.
inline constexpr const char* kBearerScheme = "HTTPBearer";
/// Name of the API key security scheme (an apiKey in a header), declared when a route takes keys.
inline constexpr const char* kApiKeyScheme = "APIKeyHeader";
/// The name of the DPoP scheme (RFC 9449) in components.securitySchemes.
inline constexpr const char* kDpopScheme = "DPoP";
/// Name of the session-cookie security scheme (an apiKey in a cookie), declared when cookies are accepted.
inline constexpr const char* kCookieScheme = "SessionCookie";

/// An OpenAPI Response Object for an error: `description` and a `{"detail": ...}` JSON body.
nlohmann::json error_response_doc(const std::string& description);

/// A Pistache path as an OpenAPI path template: "/notes/:id" becomes "/notes/{id}".
std::string openapi_path(std::string_view pistache_path);

/// The OpenAPI 3.1 document for `routes`: protected operations carry `security`, an array of
/// alternatives (any one of the schemes the route accepts, in its order: the OAuth2 password flow
/// and HTTP bearer, the session cookie, the API key header; by default those `cookies.transport`
/// names) and document 401 and 403, with their rule's description; open ones carry an empty
/// `security` (public on purpose); `token_url` is the password flow's tokenUrl; `api_keys` names
/// the API key header. Throws std::invalid_argument when `info.servers` is empty or names an
/// empty URL.
nlohmann::json build_openapi(const std::vector<RouteRecord>& routes, const OpenApiInfo& info, std::string_view token_url,
                             const CookieSettings& cookies = {}, const ApiKeyTransport& api_keys = {});
/// build_openapi with the schemes `config` describes (the token URL, cookies, API keys, DPoP).
nlohmann::json build_openapi(const std::vector<RouteRecord>& routes, const OpenApiInfo& info, const HttpConfig& config);

}  // namespace fauth::http
