#include "fauth/http/schemes/api_key.hpp"

#include <optional>

#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/http/bearer.hpp"
#include "fauth/http/openapi.hpp"

namespace fauth::http {

ApiKeyScheme::ApiKeyScheme(const SchemeSettings& settings)
    // A validated header name: no quote or backslash to escape.
    : settings_(settings.api_keys), challenge_("APIKey header=\"" + settings.api_keys.header + "\"") {}

Credentials ApiKeyScheme::read(const Pistache::Http::Request& request) const {
    std::optional<std::string> key;
    if (const auto raw = request.headers().tryGetRaw(settings_.header)) key = raw->value();
    if (!settings_.query_parameter.empty()) {
        if (auto in_query = request.query().get(settings_.query_parameter)) {
            if (key) return {Credentials::Status::malformed, {}, this};
            key = std::move(in_query);
        }
    }
    if (!key) return {};
    const auto value = trim_ows(*key);
    if (value.empty() || !is_b64token(value)) return {Credentials::Status::malformed, {}, this};
    return {Credentials::Status::present, std::string(value), this};
}

Failure ApiKeyScheme::malformed() const { return InvalidApiKey("malformed").failure(); }

void ApiKeyScheme::challenge(Challenge& challenge) const { challenge.add(challenge_); }

void ApiKeyScheme::require(nlohmann::json& alternatives) const {
    alternatives.push_back({{kApiKeyScheme, nlohmann::json::array()}});
}

void ApiKeyScheme::declare(nlohmann::json& security_schemes) const {
    security_schemes[kApiKeyScheme] = {{"type", "apiKey"},
                                       {"in", "header"},
                                       {"name", settings_.header},
                                       {"description", "An API key, made by its owner and shown once."}};
}

void ApiKeyScheme::check_route(const RouteNeeds& needs) const {
    if (!needs.api_key_loader)
        throw ConfigError("fauth: a route accepts API keys, but the provider has no api_key_loader (set_api_key_loader)");
    if (needs.fresh) throw ConfigError("fauth: a route that wants fresh tokens cannot accept API keys, which are never fresh");
}

}  // namespace fauth::http
