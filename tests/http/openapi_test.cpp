#include "fauth/http/openapi.hpp"

#include <gtest/gtest.h>

using fauth::http::Access;
using fauth::http::build_openapi;
using fauth::http::RouteRecord;
using nlohmann::json;

TEST(OpenApi, ConvertsPistachePathsToTemplates) {
    EXPECT_EQ(fauth::http::openapi_path("/notes/:id"), "/notes/{id}");
    EXPECT_EQ(fauth::http::openapi_path("/a/:x/b/:y?"), "/a/{x}/b/{y}");
    EXPECT_EQ(fauth::http::openapi_path("/plain"), "/plain");
}

TEST(OpenApi, DeclaresBothSecuritySchemesWithTheTokenUrl) {
    const auto doc = build_openapi({}, {.title = "T", .version = "2"}, "/auth/token");
    EXPECT_EQ(doc["openapi"], "3.1.0");
    EXPECT_EQ(doc["info"]["title"], "T");
    EXPECT_EQ(doc["info"]["version"], "2");
    const auto& schemes = doc["components"]["securitySchemes"];
    EXPECT_EQ(schemes["OAuth2PasswordBearer"]["type"], "oauth2");
    EXPECT_EQ(schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"], "/auth/token");
    EXPECT_EQ(schemes["HTTPBearer"], (json{{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}));
}

TEST(OpenApi, MarksProtectedOperationsOnlyAndDocumentsTheirErrors) {
    std::vector<RouteRecord> routes = {
        {"GET", "/health", Access::open, {}, false, {}, {.summary = "Health"}},
        {"GET", "/me", Access::required, {}, false, {}, {}},
        {"GET", "/admin", Access::required, fauth::role("admin"), false, {}, {}},
        {"GET", "/maybe", Access::optional, {}, false, {}, {}},
        {"DELETE", "/notes/:id", Access::required, fauth::permission("write"), false, {}, {.tags = {"Notes"}}},
        {"GET", "/docs", Access::open, {}, false, {}, {.hidden = true}},
        {"POST", "/account/delete", Access::required, {}, true, {}, {}},
    };
    const auto doc = build_openapi(routes, {}, "/login");
    const auto& paths = doc["paths"];
    EXPECT_EQ(paths["/health"]["get"]["security"], json::array()) << "public on purpose: an explicit empty list";
    EXPECT_EQ(paths["/health"]["get"]["summary"], "Health");
    EXPECT_FALSE(paths["/health"]["get"]["responses"].contains("401"));
    const json either = json::array({{{"OAuth2PasswordBearer", json::array()}}, {{"HTTPBearer", json::array()}}});
    for (const char* p : {"/me", "/admin"}) {
        EXPECT_EQ(paths[p]["get"]["security"], either) << p;
        EXPECT_TRUE(paths[p]["get"]["responses"].contains("401")) << p;
        EXPECT_TRUE(paths[p]["get"]["responses"].contains("403")) << p;
        EXPECT_TRUE(paths[p]["get"]["responses"].contains("200")) << p;
    }
    EXPECT_NE(paths["/admin"]["get"]["description"].get<std::string>().find("Requires role admin."), std::string::npos);
    EXPECT_EQ(paths["/maybe"]["get"]["security"][0], json::object()) << "anonymous allowed";
    const auto& del = paths["/notes/{id}"]["delete"];
    EXPECT_EQ(del["security"], either);
    EXPECT_EQ(del["tags"], json::array({"Notes"}));
    EXPECT_EQ(del["parameters"][0]["name"], "id");
    EXPECT_EQ(del["parameters"][0]["in"], "path");
    EXPECT_EQ(del["operationId"], "delete_notes_id");
    EXPECT_FALSE(paths.contains("/docs"));
    const auto& sensitive = paths["/account/delete"]["post"];
    EXPECT_NE(sensitive["description"].get<std::string>().find("Requires a fresh token"), std::string::npos);
    EXPECT_NE(sensitive["responses"]["401"]["description"].get<std::string>().find("not fresh"), std::string::npos);
    EXPECT_EQ(paths["/me"]["get"]["responses"]["401"]["description"],
              "Not authenticated, or the credentials are invalid or expired");
}

TEST(OpenApi, OffersTheSessionCookieWhenCookiesAreAccepted) {
    std::vector<RouteRecord> routes = {{"GET", "/me", Access::required, {}, false, {}, {}},
                                       {"GET", "/maybe", Access::optional, {}, false, {}, {}}};
    fauth::http::CookieSettings cookies;
    cookies.transport = fauth::http::CredentialTransport::bearer_or_cookie;
    cookies.access_cookie = "__Host-session";
    auto doc = build_openapi(routes, {}, "/login", cookies);
    const auto& cookie = doc["components"]["securitySchemes"]["SessionCookie"];
    EXPECT_EQ(cookie["type"], "apiKey");
    EXPECT_EQ(cookie["in"], "cookie");
    EXPECT_EQ(cookie["name"], "__Host-session");
    EXPECT_NE(cookie["description"].get<std::string>().find("X-CSRF-Token"), std::string::npos);
    EXPECT_EQ(doc["paths"]["/me"]["get"]["security"],
              json::parse(R"([{"OAuth2PasswordBearer":[]},{"HTTPBearer":[]},{"SessionCookie":[]}])"));
    EXPECT_EQ(doc["paths"]["/maybe"]["get"]["security"].size(), 4u) << "anonymous or any of the three";

    cookies.transport = fauth::http::CredentialTransport::cookie;
    doc = build_openapi(routes, {}, "/login", cookies);
    EXPECT_EQ(doc["paths"]["/me"]["get"]["security"], json::parse(R"([{"SessionCookie":[]}])"));
    EXPECT_EQ(doc["components"]["securitySchemes"].size(), 1u) << "bearer is not offered when it is not read";
    EXPECT_FALSE(build_openapi(routes, {}, "/login")["components"]["securitySchemes"].contains("SessionCookie"));
}

TEST(OpenApi, ListsARoutesSchemesAsAlternativesInItsOrderAndDeclaresTheApiKeyHeader) {
    using fauth::Scheme;
    std::vector<RouteRecord> routes = {
        {"GET", "/me", Access::required, {}, false, {}, {}},
        {"GET",
         "/reports",
         Access::required,
         fauth::any_of(fauth::role("admin"), fauth::scope("reports:read")),
         false,
         {Scheme::api_key, Scheme::bearer},
         {}},
    };
    fauth::http::ApiKeyTransport keys;
    keys.header = "X-Service-Key";
    auto doc = build_openapi(routes, {}, "/login", {}, keys);
    EXPECT_EQ(doc["paths"]["/me"]["get"]["security"], json::parse(R"([{"OAuth2PasswordBearer":[]},{"HTTPBearer":[]}])"));
    EXPECT_EQ(doc["paths"]["/reports"]["get"]["security"],
              json::parse(R"([{"APIKeyHeader":[]},{"OAuth2PasswordBearer":[]},{"HTTPBearer":[]}])"))
        << "an array of alternatives: any one of them is enough";
    const auto& declared = doc["components"]["securitySchemes"]["APIKeyHeader"];
    EXPECT_EQ(declared["type"], "apiKey");
    EXPECT_EQ(declared["in"], "header");
    EXPECT_EQ(declared["name"], "X-Service-Key");
    EXPECT_EQ(doc["paths"]["/reports"]["get"]["description"], "Requires role admin or scope reports:read.");

    routes.pop_back();
    doc = build_openapi(routes, {}, "/login", {}, keys);
    EXPECT_FALSE(doc["components"]["securitySchemes"].contains("APIKeyHeader")) << "declared only when a route takes keys";
}

TEST(OpenApi, NamesItsServersRelativeToTheDocumentByDefault) {
    const std::vector<RouteRecord> routes = {{"GET", "/health", Access::open, {}, false, {}, {}}};
    EXPECT_EQ(build_openapi(routes, {}, "/login")["servers"], json::parse(R"([{"url":"/"}])"));
    EXPECT_EQ(build_openapi(routes, {.servers = {"https://api.example.com/auth", "/auth"}}, "/login")["servers"],
              json::parse(R"([{"url":"https://api.example.com/auth"},{"url":"/auth"}])"));
    for (const auto& servers : {std::vector<std::string>{}, std::vector<std::string>{"/", ""}}) {
        try {
            (void)build_openapi(routes, {.servers = servers}, "/login");
            ADD_FAILURE() << "accepted " << servers.size() << " servers";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("OpenApiInfo::servers"), std::string::npos) << e.what();
        }
    }
}
