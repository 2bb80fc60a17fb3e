// The one place that names every scheme: make_scheme, and what is built on it.
#include "fauth/http/scheme.hpp"

#include <bit>

#include "fauth/core/errors.hpp"
#include "fauth/http/schemes/api_key.hpp"
#include "fauth/http/schemes/bearer.hpp"
#include "fauth/http/schemes/cookie.hpp"
#include "fauth/http/schemes/dpop.hpp"
#include "fauth/http/schemes/mtls.hpp"

namespace fauth::http {

namespace {

// The scheme `id`, before the certificate binding that make_scheme adds to every token scheme.
std::shared_ptr<const CredentialScheme> make_unbound(Scheme id, const SchemeSettings& settings) {
    switch (id) {
        case Scheme::bearer: return std::make_shared<BearerScheme>(settings);
        case Scheme::cookie: return std::make_shared<CookieScheme>(settings);
        case Scheme::api_key: return std::make_shared<ApiKeyScheme>(settings);
        case Scheme::dpop: return std::make_shared<DpopScheme>(settings);
    }
    throw ConfigError("fauth: unknown scheme " + std::to_string(static_cast<int>(id)));
}

}  // namespace

std::shared_ptr<const CredentialScheme> make_scheme(Scheme id, const SchemeSettings& settings) {
    return with_holder_binding(make_unbound(id, settings), settings);
}

std::shared_ptr<const CredentialScheme> with_holder_binding(std::shared_ptr<const CredentialScheme> scheme,
                                                            const SchemeSettings& settings) {
    if (scheme->kind() != CredentialKind::token) return scheme;
    // Whichever scheme a token comes by, its holder binding is checked, once, here: a certificate
    // (RFC 8705), and a DPoP key only through the DPoP scheme (RFC 9449). A required binding
    // covers the Authorization header's tokens: the session cookies hold this service's own.
    const bool header = scheme->id() != Scheme::cookie;
    return std::make_shared<CertificateBoundScheme>(std::move(scheme), settings, header);
}

SchemeList make_schemes(std::span<const Scheme> ids, const SchemeSettings& settings) {
    if (ids.empty()) ids = default_schemes(settings);
    SchemeList schemes;
    schemes.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j)
            if (ids[j] == ids[i]) throw ConfigError("fauth: a route names scheme " + std::string(scheme_name(ids[i])) + " twice");
        schemes.push_back(make_scheme(ids[i], settings));
    }
    return schemes;
}

std::span<const Scheme> default_schemes(const SchemeSettings& settings) noexcept {
    // Every answer is a view of one of these lists: each subset of bearer, DPoP, cookie, in that
    // order, indexed by which of the three it holds (1: bearer, 2: DPoP, 4: cookie).
    using enum Scheme;
    static constexpr Scheme kLists[8][3] = {{},       {bearer},         {dpop},         {bearer, dpop},
                                            {cookie}, {bearer, cookie}, {dpop, cookie}, {bearer, dpop, cookie}};
    const bool dpop_on = settings.dpop.mode != DpopMode::off;
    const bool bearer_on = settings.cookies.accepts_bearer() && settings.dpop.mode != DpopMode::require;
    const bool dpop_read = dpop_on && settings.cookies.accepts_bearer();  // DPoP is an Authorization header too
    const unsigned index = (bearer_on ? 1u : 0u) | (dpop_read ? 2u : 0u) | (settings.cookies.accepts_cookie() ? 4u : 0u);
    return std::span<const Scheme>(kLists[index], static_cast<std::size_t>(std::popcount(index)));
}

Credentials read_credentials(const Pistache::Http::Request& request, const SchemeList& schemes) {
    for (const auto& scheme : schemes) {
        auto found = scheme->read(request);
        if (found.status != Credentials::Status::absent) return found;
    }
    return {};
}

Challenge challenge_of(const SchemeList& schemes, const CredentialScheme* presented, std::string_view resource_metadata) {
    Challenge challenge(presented != nullptr && presented->kind() == CredentialKind::token, resource_metadata);
    if (presented != nullptr) challenge.presented_by = presented->challenge_name();
    challenge.bearer = schemes.empty();  // no scheme at all: Bearer, as for a plain 401
    for (const auto& scheme : schemes) scheme->challenge(challenge);
    return challenge;
}

}  // namespace fauth::http
