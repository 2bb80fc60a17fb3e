// swagger_ui.hpp — Swagger UI's page and assets, read from the swagger-ui-dist npm package.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <pistache/http.h>

#include "fauth/http/api.hpp"

namespace fauth::http {

/// What the Swagger UI page may do: its scripts, styles and images come from its own origin only
/// (the CSS's icons are data: URIs), it talks to its own origin only (the OpenAPI document, the
/// token URL, "Try it out"), and no other site may frame it (clickjacking).
inline constexpr const char* kSwaggerUiContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The Content-Security-Policy response header with kSwaggerUiContentSecurityPolicy (typed:
/// Pistache drops raw response headers).
class SwaggerUiCsp : public Pistache::Http::Header::Header {
public:
    NAME("Content-Security-Policy")
    /// Reads a header value (only the fixed policy is ever written).
    void parse(const std::string&) override {}
    /// Writes the header value.
    void write(std::ostream& os) const override { os << kSwaggerUiContentSecurityPolicy; }
};

/// `X-Frame-Options: DENY`, for browsers that do not read frame-ancestors.
class FrameOptionsDeny : public Pistache::Http::Header::Header {
public:
    NAME("X-Frame-Options")
    /// Reads a header value (only DENY is ever written).
    void parse(const std::string&) override {}
    /// Writes the header value.
    void write(std::ostream& os) const override { os << "DENY"; }
};

/// `X-Content-Type-Options: nosniff`: each file is only what its Content-Type says.
class ContentTypeOptionsNosniff : public Pistache::Http::Header::Header {
public:
    NAME("X-Content-Type-Options")
    /// Reads a header value (only nosniff is ever written).
    void parse(const std::string&) override {}
    /// Writes the header value.
    void write(std::ostream& os) const override { os << "nosniff"; }
};

/// The page and the files it loads, held in memory.
struct SwaggerUi {
    /// One file served below the page's path.
    struct Asset {
        std::string name;        ///< file name, e.g. "swagger-ui.css"
        std::string media_type;  ///< Content-Type
        std::string body;        ///< contents
    };
    /// The page itself.
    std::string index_html;
    /// What the page loads.
    std::vector<Asset> assets;
};

/// Reads the assets from options.dist_dir (or $FAUTH_SWAGGER_UI_DIR) and writes a page, served at
/// `base_path`, that loads options.openapi_url. The page has no inline script (its settings are in
/// the asset swagger-ui-init.js), so kSwaggerUiContentSecurityPolicy holds; authorizations are
/// kept in the page's memory only (persistAuthorization off: no token in localStorage). Throws
/// std::runtime_error naming the folder when a file is missing.
SwaggerUi load_swagger_ui(const SwaggerUiOptions& options, const std::string& base_path);

}  // namespace fauth::http
