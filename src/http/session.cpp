#include "fauth/http/session.hpp"

#include "fauth/http/openapi.hpp"
#include "fauth/http/schemes/bearer.hpp"
#include "fauth/http/schemes/cookie.hpp"

namespace fauth::http {

using nlohmann::json;

RouteDoc refresh_route_doc() {
    RouteDoc doc;
    doc.summary = "Exchange a refresh token for a new token pair";
    doc.description =
        "The refresh token is used up; presenting it again ends its whole session. A browser session in cookies "
        "sends an empty body: the refresh cookie is read, the CSRF header is required, and new cookies are set.";
    const json schema = {{"type", "object"},
                         {"properties", {{"refresh_token", {{"type", "string"}}}}},
                         {"required", json::array({"refresh_token"})}};
    json form = schema;
    form["properties"]["grant_type"] = {{"type", "string"}, {"pattern", "^refresh_token$"}};
    doc.request_body = {{"required", false},
                        {"content",
                         {{"application/json", {{"schema", schema}}},
                          {"application/x-www-form-urlencoded", {{"schema", form}}}}}};
    doc.parameters = json::array({dpop_header_parameter(
        "A DPoP proof (RFC 9449) for POST and this URL, without `ath`, by the key the refresh token is bound to: "
        "required for a DPoP-bound refresh token, whose new pair is bound to the same key.")});
    doc.responses = {{"200",
                      {{"description", "Tokens"},
                       {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/TokenResponse"}}}}}}}}},
                     {"401", error_response_doc(
                                 "Invalid, expired, revoked or reused refresh token, or an invalid DPoP proof for a bound one")},
                     {"403", error_response_doc(
                                 "Inactive user, or a refresh by cookie without the CSRF token or from a foreign origin")},
                     {"413", error_response_doc("Request body too large")},
                     {"422", error_response_doc("The body does not hold a refresh token")},
                     {"429", error_response_doc("Too many refreshes from this client or of this session; see Retry-After")},
                     {"503", error_response_doc("The session store cannot be reached; see Retry-After")}};
    return doc;
}

Outcome<void> RefreshCheck::operator()(const TokenPayload& token) const {
    const std::string* bound = dpop_jkt(token);
    if (bound == nullptr && !bound_required) return cookie(token);
    // What the binding's step needs, by value: it may run once the cookie's check has answered,
    // when this check has moved.
    auto binding = [dpop = dpop, proof = proof, jkt = bound ? *bound : std::string(),
                    now = cookie.codec->config().now()]() -> Outcome<void> {
        if (jkt.empty()) return InvalidToken("refresh token is not DPoP-bound, and DPoP is required").failure();
        return without_value(dpop->verify(proof, &jkt, now));
    };
    return chain<void>(cookie(token), [binding = std::move(binding)](Result<void> checked) -> Outcome<void> {
        if (!checked) return std::move(checked).failure();
        return binding();
    });
}

RefreshRequest read_refresh_request(const Pistache::Http::Request& request, const CredentialScheme* refresh_cookie) {
    RefreshRequest input;
    if (request.body().empty() && refresh_cookie != nullptr) {
        auto credentials = refresh_cookie->read(request);
        if (credentials.status != Credentials::Status::absent) {
            input.delivery = TokenDelivery::cookies;
            if (credentials.status == Credentials::Status::malformed) {
                input.refusal = refresh_cookie->malformed();
                return input;
            }
            input.scheme = refresh_cookie;
            input.token = std::move(credentials.token);
            return input;
        }
    }
    const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
    input.token = parse_refresh_request(type ? type->mime().toString() : std::string(), request.body());
    return input;
}

std::shared_ptr<const CredentialScheme> refresh_cookie_scheme(const HttpConfig& config) {
    if (!config.cookies.accepts_cookie()) return nullptr;
    const auto settings = scheme_settings(config);
    return with_holder_binding(std::make_shared<const CookieScheme>(settings, CookieScheme::Cookie::refresh), settings);
}

SchemeList logout_schemes(const HttpConfig& config) {
    const auto settings = scheme_settings(config);
    SchemeList schemes;
    // The header schemes routes take by default (bearer, DPoP), then the cookies.
    for (const auto id : default_schemes(settings))
        if (id != Scheme::cookie) schemes.push_back(make_scheme(id, settings));
    if (config.cookies.accepts_cookie()) {
        schemes.push_back(
            with_holder_binding(std::make_shared<const CookieScheme>(settings, CookieScheme::Cookie::refresh), settings));
        schemes.push_back(
            with_holder_binding(std::make_shared<const CookieScheme>(settings, CookieScheme::Cookie::access), settings));
    }
    return schemes;
}

RouteDoc logout_route_doc() {
    RouteDoc doc;
    doc.summary = "Log out: end this session";
    doc.description =
        "Revokes the access token and every token of its session. A browser session in cookies is ended by its refresh "
        "cookie (or its access cookie); the CSRF header is required, and the cookies are cleared.";
    doc.responses = {{"204", {{"description", "Logged out (session cookies cleared when cookies are in use)"}}},
                     {"403", error_response_doc("By cookie: no CSRF token, or a foreign origin")}};
    return doc;
}

}  // namespace fauth::http
