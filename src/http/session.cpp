#include "fauth/http/session.hpp"

#include "fauth/http/openapi.hpp"

namespace fauth::http {

using nlohmann::json;

RouteDoc refresh_route_doc() {
    RouteDoc doc;
    doc.summary = "Exchange a refresh token for a new token pair";
    doc.description = "The refresh token is used up; presenting it again ends its whole session.";
    const json schema = {{"type", "object"},
                         {"properties", {{"refresh_token", {{"type", "string"}}}}},
                         {"required", json::array({"refresh_token"})}};
    json form = schema;
    form["properties"]["grant_type"] = {{"type", "string"}, {"pattern", "^refresh_token$"}};
    doc.request_body = {{"required", true},
                        {"content", {{"application/json", {{"schema", schema}}},
                                     {"application/x-www-form-urlencoded", {{"schema", form}}}}}};
    doc.responses = {
        {"200",
         {{"description", "Tokens"},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/TokenResponse"}}}}}}}}},
        {"401", error_response_doc("Invalid, expired, revoked or reused refresh token")},
        {"403", error_response_doc("Inactive user")},
        {"413", error_response_doc("Request body too large")},
        {"422", error_response_doc("The body does not hold a refresh token")},
        {"429", error_response_doc("Too many refreshes from this client or of this session; see Retry-After")}};
    return doc;
}

RouteDoc logout_route_doc() {
    RouteDoc doc;
    doc.summary = "Log out: end this session";
    doc.description = "Revokes the bearer access token and every refresh token of its session.";
    doc.responses = {{"204", {{"description", "Logged out"}}}};
    return doc;
}

}  // namespace fauth::http
