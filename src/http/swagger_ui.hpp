// swagger_ui.hpp — Swagger UI's page and assets, read from the swagger-ui-dist npm package.
#pragma once

#include <string>
#include <vector>

#include "fauth/http/api.hpp"

namespace fauth::http {

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
/// `base_path`, that loads options.openapi_url with persistAuthorization. Throws
/// std::runtime_error naming the folder when a file is missing.
SwaggerUi load_swagger_ui(const SwaggerUiOptions& options, const std::string& base_path);

}  // namespace fauth::http
