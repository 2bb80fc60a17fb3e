// The one place that names every scheme: make_scheme, and what is built on it.
#include "fauth/http/scheme.hpp"

#include "fauth/core/errors.hpp"
#include "fauth/http/schemes/api_key.hpp"
#include "fauth/http/schemes/bearer.hpp"
#include "fauth/http/schemes/cookie.hpp"

namespace fauth::http {

std::shared_ptr<const CredentialScheme> make_scheme(Scheme id, const SchemeSettings& settings) {
    switch (id) {
        case Scheme::bearer: return std::make_shared<BearerScheme>(settings);
        case Scheme::cookie: return std::make_shared<CookieScheme>(settings);
        case Scheme::api_key: return std::make_shared<ApiKeyScheme>(settings);
    }
    throw ConfigError("fauth: unknown scheme " + std::to_string(static_cast<int>(id)));
}

SchemeList make_schemes(std::span<const Scheme> ids, const SchemeSettings& settings) {
    if (ids.empty()) ids = default_schemes(settings.cookies);
    SchemeList schemes;
    schemes.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j)
            if (ids[j] == ids[i]) throw ConfigError("fauth: a route names scheme " + std::string(scheme_name(ids[i])) + " twice");
        schemes.push_back(make_scheme(ids[i], settings));
    }
    return schemes;
}

std::span<const Scheme> default_schemes(const CookieSettings& settings) noexcept {
    // Every answer is a view of this one list: the bearer header first, then the cookie.
    static constexpr Scheme kBearerThenCookie[] = {Scheme::bearer, Scheme::cookie};
    const std::span<const Scheme> both(kBearerThenCookie);
    if (!settings.accepts_bearer()) return settings.accepts_cookie() ? both.subspan(1) : both.first(0);
    return settings.accepts_cookie() ? both : both.first(1);
}

Credentials read_credentials(const Pistache::Http::Request& request, const SchemeList& schemes) {
    for (const auto& scheme : schemes) {
        auto found = scheme->read(request);
        if (found.status != Credentials::Status::absent) return found;
    }
    return {};
}

Challenge challenge_of(const SchemeList& schemes, bool presented, std::string_view resource_metadata) {
    Challenge challenge(presented, resource_metadata);
    challenge.bearer = schemes.empty();  // no scheme at all: Bearer, as for a plain 401
    for (const auto& scheme : schemes) scheme->challenge(challenge);
    return challenge;
}

}  // namespace fauth::http
