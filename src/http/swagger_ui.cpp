#include "swagger_ui.hpp"
#include "html.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace fauth::http {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("fauth: cannot read " + path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// JSON for a script: '<' escaped, so that no value can close a <script> element it is put in.
std::string script_json(const nlohmann::json& value) {
    std::string out;
    for (const char c : value.dump()) {
        if (c == '<')
            out += "\\u003c";
        else
            out += c;
    }
    return out;
}

}  // namespace

SwaggerUi load_swagger_ui(const SwaggerUiOptions& options, const std::string& base_path) {
    std::string dir = options.dist_dir;
    if (dir.empty()) {
        const char* env = std::getenv("FAUTH_SWAGGER_UI_DIR");
        if (env == nullptr || *env == '\0')
            throw std::runtime_error(
                "fauth: no swagger-ui-dist folder: set SwaggerUiOptions::dist_dir or FAUTH_SWAGGER_UI_DIR "
                "(scripts/bootstrap installs it under node_modules/swagger-ui-dist)");
        dir = env;
    }
    SwaggerUi ui;
    for (const auto& [name, type] : {std::pair<const char*, const char*>{"swagger-ui.css", "text/css"},
                                     {"swagger-ui-bundle.js", "application/javascript"},
                                     {"oauth2-redirect.html", "text/html"},
                                     {"oauth2-redirect.js", "application/javascript"}}) {
        try {
            ui.assets.push_back({name, type, read_file(dir + "/" + name)});
        } catch (const std::runtime_error&) {
            throw std::runtime_error("fauth: swagger-ui-dist is incomplete or missing at " + dir + " (no " + name +
                                     "); run scripts/bootstrap or npm ci");
        }
    }
    const nlohmann::json config = {
        {"url", options.openapi_url},
        {"dom_id", "#swagger-ui"},
        // Tokens stay in the page's memory: with persistAuthorization they would sit in
        // localStorage, readable by any script of the origin, after the tab is closed.
        {"persistAuthorization", false},
        {"deepLinking", true},
        {"oauth2RedirectUrl", base_path + "/oauth2-redirect.html"},
    };
    // The settings go in a file of their own: the Content-Security-Policy allows no inline script.
    ui.assets.push_back({"swagger-ui-init.js", "application/javascript",
                         "const config = " + script_json(config) +
                             ";\n"
                             "config.presets = [SwaggerUIBundle.presets.apis];\n"
                             "window.ui = SwaggerUIBundle(config);\n"});
    ui.index_html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                    html_escape(options.title) + "</title>\n<link rel=\"stylesheet\" href=\"" + html_escape(base_path) +
                    "/swagger-ui.css\">\n</head>\n<body>\n<div id=\"swagger-ui\"></div>\n<script src=\"" +
                    html_escape(base_path) + "/swagger-ui-bundle.js\"></script>\n<script src=\"" + html_escape(base_path) +
                    "/swagger-ui-init.js\"></script>\n</body>\n</html>\n";
    return ui;
}

}  // namespace fauth::http
