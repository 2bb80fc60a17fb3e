#include "fauth/http/login.hpp"
#include "fauth/core/ascii.hpp"
#include "fauth/core/digest.hpp"

#include "fauth/http/openapi.hpp"

namespace fauth::http {

using nlohmann::json;

RouteDoc login_route_doc(TokenDelivery delivery) {
    RouteDoc doc;
    const bool cookies = delivery == TokenDelivery::cookies;
    doc.summary = cookies ? "Log in with a username and password: a browser session in cookies" : "Log in with a username and password";
    doc.description = cookies ? "Form or JSON. Sets the HttpOnly access and refresh cookies and the readable CSRF cookie, "
                                "whose value must be sent back in the CSRF header with every request that changes state."
                              : "OAuth2 password flow (form) or JSON. Client credentials are ignored.";
    const json form_schema = {
        {"type", "object"},
        {"properties",
         {{"username", {{"type", "string"}}},
          {"password", {{"type", "string"}, {"format", "password"}}},
          {"grant_type", {{"type", "string"}, {"pattern", "^password$"}}},
          {"scope", {{"type", "string"}, {"default", ""}}},
          {"client_id", {{"type", "string"}}},
          {"client_secret", {{"type", "string"}, {"format", "password"}}}}},
        {"required", json::array({"username", "password"})}};
    const json json_schema = {
        {"type", "object"},
        {"properties", {{"username", {{"type", "string"}}}, {"password", {{"type", "string"}, {"format", "password"}}}}},
        {"required", json::array({"username", "password"})}};
    doc.request_body = {{"required", true},
                        {"content",
                         {{"application/x-www-form-urlencoded", {{"schema", form_schema}}},
                          {"application/json", {{"schema", json_schema}}}}}};
    const json cookie_body = {{"type", "object"},
                              {"properties",
                               {{"token_type", {{"type", "string"}, {"const", "cookie"}}},
                                {"expires_in", {{"type", "integer"}}},
                                {"csrf_token", {{"type", "string"}}}}}};
    const json token_schema = cookies ? cookie_body : json{{"$ref", "#/components/schemas/TokenResponse"}};
    doc.responses = {
        {"200", {{"description", cookies ? "Session cookies set" : "Tokens"}, {"content", {{"application/json", {{"schema", token_schema}}}}}}},
        {"401", error_response_doc("Invalid credentials")},
        {"403", error_response_doc(cookies ? "Inactive user, or a foreign origin" : "Inactive user")},
        {"413", error_response_doc("Request body too large")},
        {"422", error_response_doc("The body does not hold a username and password")},
        {"429", error_response_doc("Too many attempts from this client or for this username; see Retry-After")}};
    return doc;
}

std::string identifier_key(std::string_view username) {
    return "identifier:" + sha256_hex(ascii_lower(username));
}

std::string client_identifier_key(std::string_view client, std::string_view username) {
    return "client-identifier:" + std::string(client) + " " + sha256_hex(ascii_lower(username));
}

void send_token_response(Pistache::Http::ResponseWriter& writer, const TokenResponse& tokens) {
    writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
    writer.headers().add<PragmaNoCache>();
    send_json(writer, Pistache::Http::Code::Ok, json(tokens));
}

}  // namespace fauth::http
