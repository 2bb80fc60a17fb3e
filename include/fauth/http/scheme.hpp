/// @file
/// fauth/http/scheme.hpp — one type per credential scheme: how a request carries its credentials,
/// how a 401 asks for them, how the OpenAPI document declares them, and what is checked once its
/// token is verified. Bearer, the session cookie and the API key implement it (fauth/http/schemes/);
/// see docs/architecture.md ("Adding a scheme") for what adding one touches.
#pragma once

#include <array>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <pistache/http.h>

#include "fauth/http/config.hpp"
#include "fauth/auth/principal.hpp"
#include "fauth/core/outcome.hpp"
#include "fauth/core/token.hpp"
#include "fauth/http/response.hpp"

namespace fauth::http {

class CredentialScheme;

/// The credentials a request carries for one scheme.
struct Credentials {
    /// Whether they were sent, and whether they were well-formed.
    enum class Status {
        absent,     ///< not sent: the next scheme of the route may read its own
        malformed,  ///< sent, but unusable (bad credentials never fall through to the next scheme)
        present,    ///< see `token`
    };
    /// The outcome.
    Status status = Status::absent;
    /// The token (or the API key) when status is present.
    std::string token;
    /// The scheme that read them; null when absent everywhere.
    const CredentialScheme* scheme = nullptr;
    /// The type of token they hold (a refresh token in the refresh cookie).
    TokenType type = TokenType::access;
};

/// What a scheme's credentials prove, and so which pipeline takes them.
enum class CredentialKind {
    token,    ///< a token: AuthProvider::run verifies it
    api_key,  ///< an API key: AuthProvider::run_key looks it up
};

/// Where schemes find their credentials and what the document says of them: views of the
/// configuration, copied by the schemes made from them.
struct SchemeSettings {
    /// The OAuth2 password flow's tokenUrl (HttpConfig::token_url).
    std::string_view token_url;
    /// The session cookies (HttpConfig::cookies).
    const CookieSettings& cookies;
    /// The API key transport (HttpConfig::api_keys).
    const ApiKeyTransport& api_keys;
    /// DPoP (HttpConfig::dpop).
    const DpopSettings& dpop;
    /// The proxies trusted to say how clients reached the service (HttpConfig::trusted_proxies).
    const std::vector<std::string>& trusted_proxies;
    /// Certificate-bound tokens (HttpConfig::certificate_binding).
    const CertificateBinding& certificate_binding;
};
/// The scheme settings of `config`.
inline SchemeSettings scheme_settings(const HttpConfig& config) noexcept {
    return {config.token_url, config.cookies, config.api_keys, config.dpop, config.trusted_proxies, config.certificate_binding};
}

/// What a route asks of its schemes when it is mounted (CredentialScheme::check_route).
struct RouteNeeds {
    /// The route takes fresh tokens only.
    bool fresh = false;
    /// The provider can look API keys up (AuthProvider::accepts_api_keys).
    bool api_key_loader = false;
    /// The provider has a secret_key (the session cookie's CSRF token is a digest under it).
    bool secret_key = false;
};

/// What CredentialScheme::check may use besides the request and the verified token.
struct CheckContext {
    /// The provider's codec (the cookie's CSRF token is a digest under its key).
    const TokenCodec& codec;
    /// The endpoint changes state whatever its method (refresh, logout).
    bool changes_state = false;
    /// The response under way, whose connection holds the client's TLS certificate (a
    /// certificate-bound token's, RFC 8705); null outside a request.
    const Pistache::Http::ResponseWriter* response = nullptr;
};

/// One way a request authenticates. Made once per route (or endpoint) from the configuration,
/// shared by every request to it: const, and thread-safe.
class CredentialScheme {
public:
    virtual ~CredentialScheme() = default;
    /// Its name on routes and in principals.
    virtual Scheme id() const noexcept = 0;
    /// What its credentials prove (a token, by default).
    virtual CredentialKind kind() const noexcept { return CredentialKind::token; }
    /// Reads its credentials from `request`: absent, malformed or present (scheme set to this).
    virtual Credentials read(const Pistache::Http::Request& request) const = 0;
    /// Why its malformed credentials are refused (an InvalidToken or InvalidApiKey "malformed ...").
    virtual Failure malformed() const = 0;
    /// Adds what a 401 of a route accepting it says (a Bearer challenge, an APIKey one).
    virtual void challenge(Challenge& challenge) const = 0;
    /// The auth-scheme of its challenge, on which a refusal of its credentials says why
    /// (Challenge::presented_by): "Bearer" by default.
    virtual std::string_view challenge_name() const noexcept { return "Bearer"; }
    /// Appends its OpenAPI security requirements (alternatives: `{"name": []}` each) to `alternatives`.
    virtual void require(nlohmann::json& alternatives) const = 0;
    /// Declares its OpenAPI security schemes in `security_schemes` (components.securitySchemes).
    virtual void declare(nlohmann::json& security_schemes) const = 0;
    /// Throws ConfigError when a route with `needs` cannot use it (checked when the route is made).
    virtual void check_route(const RouteNeeds& needs) const { (void)needs; }
    /// What it demands of `request` once `token` is verified and before anything is counted,
    /// written or loaded (the cookie: the CSRF checks; DPoP: the proof): success (the default),
    /// or the refusal, now or later (a shared replay cache). What it needs of `request` after it
    /// returns, it copies.
    virtual Outcome<void> check(const Pistache::Http::Request& request, const TokenPayload& token,
                                const CheckContext& context) const {
        (void)request, (void)token, (void)context;
        return {};
    }
};

/// The schemes of a route, in the order their credentials are read.
using SchemeList = std::vector<std::shared_ptr<const CredentialScheme>>;

/// The scheme `id` as `settings` configure it: the one place that names every scheme.
std::shared_ptr<const CredentialScheme> make_scheme(Scheme id, const SchemeSettings& settings);

/// `scheme` with the rules of a token bound to its holder (every token scheme make_scheme makes
/// has them): a DPoP-bound token only by the DPoP scheme, a certificate-bound one only with its
/// certificate (HttpConfig::certificate_binding). A scheme made by hand (an endpoint's own cookie
/// scheme) gets them here.
std::shared_ptr<const CredentialScheme> with_holder_binding(std::shared_ptr<const CredentialScheme> scheme,
                                                            const SchemeSettings& settings);

/// The schemes of a route accepting `ids`, in order; empty `ids`: the defaults of
/// `settings` (default_schemes). Throws ConfigError when one is named twice.
SchemeList make_schemes(std::span<const Scheme> ids, const SchemeSettings& settings);

/// The schemes a route accepts by default under `settings`, in the order they are read: the
/// bearer header, the DPoP one, then the access cookie, as CredentialTransport and DpopMode name
/// them (a view of constant storage: no allocation, valid for the program's lifetime).
std::span<const Scheme> default_schemes(const SchemeSettings& settings) noexcept;

/// The credentials of the first of `schemes`, in order, whose credentials `request` carries
/// (malformed included: bad credentials in one scheme never fall through to the next).
Credentials read_credentials(const Pistache::Http::Request& request, const SchemeList& schemes);

/// The challenge of a route accepting `schemes` (for a 401, or a 403 for missing scopes): when a
/// token came by scheme `presented` (null: none did), its challenge says why it was refused;
/// `resource_metadata` as HttpConfig names it.
Challenge challenge_of(const SchemeList& schemes, const CredentialScheme* presented, std::string_view resource_metadata);

}  // namespace fauth::http
