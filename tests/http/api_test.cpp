// The Api: the OpenAPI document it serves, Swagger UI, unknown routes.
#include "fauth/http/api.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/http_client.hpp"
#include "support/test_app.hpp"

using fauth::test::get;
using fauth::test::TestApp;

TEST(Api, ServesTheOpenApiDocumentOfEveryRoute) {
    TestApp app;
    const auto r = get(app.port(), "/openapi.json");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    const auto doc = r.json();
    EXPECT_EQ(doc["openapi"], "3.1.0");
    EXPECT_EQ(doc["info"]["version"], "9.9.9");
    EXPECT_EQ(doc["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"], "/login");
    // Every guarded route is marked, not only the SecureRouter's; public ones say they are public.
    for (const char* p : {"/me", "/admin", "/write", "/staff", "/context", "/items/{id}", "/internal/dashboard"})
        EXPECT_FALSE(doc["paths"][p]["get"].value("security", nlohmann::json::array()).empty()) << p;
    for (const char* p : {"/health", "/login"}) {  // public on purpose: an explicit empty list
        const auto& op = doc["paths"][p].contains("get") ? doc["paths"][p]["get"] : doc["paths"][p]["post"];
        EXPECT_EQ(op.value("security", nlohmann::json()), nlohmann::json::array()) << p;
    }
    EXPECT_EQ(doc["servers"], nlohmann::json::parse(R"([{"url":"/"}])"));
    EXPECT_TRUE(doc["paths"]["/login"]["post"]["requestBody"]["content"].contains("application/x-www-form-urlencoded"));
    EXPECT_FALSE(doc["paths"].contains("/openapi.json")) << "the document does not describe itself";
    EXPECT_EQ(doc, app.api().openapi({.title = "test app", .version = "9.9.9"}));
}

TEST(Api, ABadOpenApiInfoIsRefusedWhenServedNotOnTheFirstRequest) {
    Pistache::Rest::Router router;
    fauth::http::Api api(router);
    try {
        api.serve_openapi("/openapi.json", {.servers = {}});
        ADD_FAILURE() << "no servers accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("OpenApiInfo::servers"), std::string::npos) << e.what();
    }
}

TEST(Api, UnknownRoutesAreJson404s) {
    TestApp app;
    const auto r = get(app.port(), "/no/such/route");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.json(), (nlohmann::json{{"detail", "Not Found"}}));
}

TEST(Api, ServesSwaggerUiFromDisk) {
    const auto dir = std::filesystem::temp_directory_path() / ("fauth-swagger-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (const char* name : {"swagger-ui.css", "swagger-ui-bundle.js", "oauth2-redirect.html", "oauth2-redirect.js"})
        std::ofstream(dir / name) << "/* " << name << " */";
    Pistache::Rest::Router router;
    fauth::http::Api api(router);
    api.serve_openapi();
    api.serve_swagger_ui("/docs", {.dist_dir = dir.string(), .title = "<My API>"});
    fauth::http::Server server(api, {});
    const auto port = server.start();
    const auto page = get(port, "/docs");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.header("Content-Type").find("text/html"), std::string::npos);
    EXPECT_NE(page.body.find("&lt;My API&gt;"), std::string::npos) << "the title is escaped";
    EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script: the CSP allows none";
    EXPECT_NE(page.body.find(R"(<script src="/docs/swagger-ui-init.js"></script>)"), std::string::npos);
    const auto init = get(port, "/docs/swagger-ui-init.js");
    EXPECT_EQ(init.status, 200);
    EXPECT_EQ(init.header("Content-Type"), "application/javascript");
    EXPECT_NE(init.body.find(R"("url":"/openapi.json")"), std::string::npos);
    EXPECT_NE(init.body.find(R"("persistAuthorization":false)"), std::string::npos) << "no token in localStorage";
    EXPECT_NE(init.body.find("SwaggerUIBundle(config)"), std::string::npos);
    for (const char* path : {"/docs", "/docs/swagger-ui-init.js", "/docs/swagger-ui.css", "/docs/oauth2-redirect.html"}) {
        const auto r = get(port, path);
        const auto csp = r.header("Content-Security-Policy");
        EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << path << ": " << csp;
        EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << path << ": " << csp;
        EXPECT_NE(csp.find("style-src 'self';"), std::string::npos) << path << ": " << csp;
        EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << path << ": " << csp;
        EXPECT_EQ(csp.find("unsafe"), std::string::npos) << path << ": " << csp;
        EXPECT_EQ(r.header("X-Frame-Options"), "DENY") << path;
        EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << path;
    }
    const auto css = get(port, "/docs/swagger-ui.css");
    EXPECT_EQ(css.status, 200);
    EXPECT_EQ(css.body, "/* swagger-ui.css */");
    EXPECT_EQ(css.header("Content-Type"), "text/css");
    EXPECT_EQ(get(port, "/docs/swagger-ui-bundle.js").body, "/* swagger-ui-bundle.js */");
    EXPECT_EQ(get(port, "/docs/../CMakeLists.txt").status, 404);
    EXPECT_FALSE(get(port, "/openapi.json").json()["paths"].contains("/docs"));
    server.stop();
    std::filesystem::remove_all(dir);
}

TEST(Api, AMissingSwaggerUiFolderIsAClearError) {
    Pistache::Rest::Router router;
    fauth::http::Api api(router);
    try {
        api.serve_swagger_ui("/docs", {.dist_dir = "/nonexistent/swagger-ui-dist"});
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/swagger-ui-dist"), std::string::npos);
    }
}
