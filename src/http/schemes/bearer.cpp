#include "fauth/http/schemes/bearer.hpp"

#include "fauth/core/errors.hpp"
#include "fauth/http/bearer.hpp"
#include "fauth/http/openapi.hpp"

namespace fauth::http {

Credentials BearerScheme::read(const Pistache::Http::Request& request) const {
    const auto header = request.headers().tryGet<Pistache::Http::Header::Authorization>();
    if (!header) return {};
    const std::string value = header->value();  // by value: keep it alive while it is parsed
    auto bearer = parse_bearer(std::string_view(value));
    switch (bearer.status) {
        case BearerCredentials::Status::absent: return {};
        case BearerCredentials::Status::malformed: return {Credentials::Status::malformed, {}, this};
        case BearerCredentials::Status::present: break;
    }
    return {Credentials::Status::present, std::move(bearer.token), this};
}

Failure BearerScheme::malformed() const { return InvalidToken("malformed Authorization header").failure(); }

void BearerScheme::challenge(Challenge& challenge) const { challenge.bearer = true; }

void BearerScheme::require(nlohmann::json& alternatives) const {
    alternatives.push_back({{kOAuth2Scheme, nlohmann::json::array()}});
    alternatives.push_back({{kBearerScheme, nlohmann::json::array()}});
}

void BearerScheme::declare(nlohmann::json& security_schemes) const {
    security_schemes[kOAuth2Scheme] = {{"type", "oauth2"},
                                       {"flows",
                                        {{"password", {{"tokenUrl", token_url_}, {"scopes", nlohmann::json::object()}}}}}};
    security_schemes[kBearerScheme] = {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}};
}

}  // namespace fauth::http
