#include "fauth/oidc/login.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <climits>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/aead.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/internal/random.hpp"
#include "form.hpp"

namespace fauth::oidc {

namespace {

constexpr std::size_t kIvBytes = 12;  // aead_seal's IV and tag: a sealed state is never shorter
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kMaxSealed = 4096;  // a cookie's whole budget in browsers
constexpr std::size_t kMaxReturnTo = 1024;
constexpr std::int64_t kMaxLifetime = 3600;
constexpr std::size_t kMaxHint = 2800;  // sealed, under the 4,096 bytes of a cookie

// A failure of a login state that cannot be used; `why` goes to the log only.
Failure refused(std::string why) {
    return Failure{.kind = ErrorKind::bad_request, .detail = "Invalid sign-in state", .log = "sign-in state: " + why};
}

// `bytes` random bytes, base64url.
std::string random_text(std::size_t bytes) { return base64url_encode(random_bytes(bytes)); }

// A provider's name: 1 to 64 of [A-Za-z0-9._-] (it is a path segment and the cipher's associated data).
bool valid_provider(std::string_view name) {
    return !name.empty() && name.size() <= 64 &&
           name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == std::string_view::npos;
}

// A path of this service to send a browser back to: "/" and then printable ASCII, no "//" or
// "/\" at its start (another host to a browser), no backslash, at most kMaxReturnTo bytes.
bool local_path(std::string_view path) {
    if (path.empty() || path.size() > kMaxReturnTo || path[0] != '/') return false;
    if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) return false;
    for (const char c : path)
        if (c <= ' ' || c > '~' || c == '\\') return false;
    return true;
}

// The cipher's key (aead_key), for sign-in states and hints.
AeadKey derived_key(std::string_view secret) { return aead_key(secret, "fauth oidc login state v1"); }

// The associated data of a state sealed for `provider`: opened for another, it fails.
std::string associated_data(std::string_view provider) { return "fauth oidc login state v1|" + std::string(provider); }

// The associated data of a sealed ID token hint for `provider`: never opened as a login state.
std::string hint_data(std::string_view provider) { return "fauth oidc id_token_hint v1|" + std::string(provider); }

}  // namespace

std::string pkce_challenge(std::string_view verifier) {
    const auto digest = sha256(verifier);
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

LoginState new_login_state(std::string provider, std::string return_to, std::int64_t now, std::chrono::seconds lifetime) {
    if (!valid_provider(provider)) throw ConfigError("a provider's name is 1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-'");
    if (lifetime.count() <= 0 || lifetime.count() > kMaxLifetime)
        throw ConfigError("a sign-in's lifetime is more than 0 and at most an hour");
    return LoginState{.provider = std::move(provider),
                      .state = random_text(16),
                      .nonce = random_text(16),
                      .code_verifier = random_text(32),
                      .return_to = local_path(return_to) ? std::move(return_to) : std::string("/"),
                      .expires_at = now + lifetime.count()};
}

struct LoginStateSeal::Impl {
    AeadKey key;
    explicit Impl(std::string_view secret) : key(derived_key(secret)) {}
    ~Impl() { OPENSSL_cleanse(key.data(), key.size()); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
};

LoginStateSeal::LoginStateSeal(std::string_view secret) {
    if (secret.size() < 32) throw ConfigError("LoginStateSeal: the secret must be at least 32 bytes");
    impl_ = std::make_unique<const Impl>(secret);
}

LoginStateSeal::~LoginStateSeal() = default;
LoginStateSeal::LoginStateSeal(LoginStateSeal&&) noexcept = default;
LoginStateSeal& LoginStateSeal::operator=(LoginStateSeal&&) noexcept = default;

std::string LoginStateSeal::seal(const LoginState& s) const {
    if (!valid_provider(s.provider) || !local_path(s.return_to))
        throw std::invalid_argument("LoginStateSeal::seal: a state new_login_state did not make");
    const auto plain =
        nlohmann::json{{"s", s.state}, {"n", s.nonce}, {"v", s.code_verifier}, {"r", s.return_to}, {"e", s.expires_at}}
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return aead_seal(impl_->key, associated_data(s.provider), plain);
}

Result<LoginState> LoginStateSeal::open(std::string_view sealed, std::string_view provider, std::string_view state_parameter,
                                        std::int64_t now) const {
    if (sealed.size() > kMaxSealed) return refused("too long");
    if (std::string raw; !base64url_decode(sealed, raw) || raw.size() < kIvBytes + kTagBytes) return refused("malformed");
    const auto text = aead_open(impl_->key, associated_data(provider), sealed, kMaxSealed);
    if (!text) return refused("cannot be opened (another key or provider, or changed)");
    const auto body = nlohmann::json::parse(*text, nullptr, false);
    if (!body.is_object()) return refused("malformed");
    LoginState s;
    s.provider = std::string(provider);
    for (auto [name, out] :
         {std::pair{"s", &s.state}, std::pair{"n", &s.nonce}, std::pair{"v", &s.code_verifier}, std::pair{"r", &s.return_to}}) {
        const auto found = body.find(name);
        if (found == body.end() || !found->is_string()) return refused("malformed");
        *out = found->get<std::string>();
    }
    const auto expires = body.find("e");
    if (expires == body.end() || !expires->is_number_integer() ||
        (expires->is_number_unsigned() && expires->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)))
        return refused("malformed");
    s.expires_at = expires->get<std::int64_t>();
    if (state_parameter.size() != s.state.size() || !equal_in_constant_time(state_parameter, s.state))
        return refused("the state parameter does not match");
    if (now >= s.expires_at) return refused("expired");
    if (s.expires_at > now + kMaxLifetime) return refused("lives longer than a sign-in may");
    return s;
}

std::string LoginStateSeal::seal_hint(std::string_view provider, std::string_view id_token) const {
    if (!valid_provider(provider)) throw std::invalid_argument("LoginStateSeal::seal_hint: not a provider's name");
    if (id_token.size() > kMaxHint) return {};
    return aead_seal(impl_->key, hint_data(provider), id_token);
}

std::optional<std::string> LoginStateSeal::open_hint(std::string_view sealed, std::string_view provider) const {
    return aead_open(impl_->key, hint_data(provider), sealed, kMaxSealed);
}

std::string authorization_url(std::string_view authorization_endpoint, std::string_view client_id, std::string_view redirect_uri,
                              const std::vector<std::string>& scopes, const LoginState& login,
                              const std::vector<std::pair<std::string, std::string>>& extra) {
    static constexpr std::string_view kReserved[] = {"response_type", "client_id", "redirect_uri",   "scope",
                                                     "state",         "nonce",     "code_challenge", "code_challenge_method",
                                                     "response_mode", "request",   "request_uri"};
    if (authorization_endpoint.empty() || client_id.empty() || redirect_uri.empty())
        throw ConfigError("authorization_url: the endpoint, the client id and the redirect URI are needed");
    std::string scope = "openid";
    for (const auto& s : scopes) {
        if (s.empty() || s.find_first_of(" \t\r\n\"\\") != std::string::npos)
            throw ConfigError("authorization_url: a scope is a non-empty word");
        if (s != "openid") scope += " " + s;
    }
    for (const auto& [name, value] : extra)
        if (name.empty() || std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved))
            throw ConfigError("authorization_url: '" + name + "' is set by fauth, or empty: it cannot be an extra parameter");
    std::string url(authorization_endpoint);
    if (const auto fragment = url.find('#'); fragment != std::string::npos) url.resize(fragment);  // no place in a request
    if (url.empty()) throw ConfigError("authorization_url: the endpoint is only a fragment");
    char joiner = url.find('?') == std::string::npos ? '?' : '&';
    if (url.back() == '?' || url.back() == '&') joiner = '\0';
    auto add = [&](std::string_view name, std::string_view value) {
        if (joiner != '\0') url += joiner;
        joiner = '&';
        url += form_encoded(name);
        url += '=';
        url += form_encoded(value);
    };
    add("response_type", "code");
    add("client_id", client_id);
    add("redirect_uri", redirect_uri);
    add("scope", scope);
    add("state", login.state);
    add("nonce", login.nonce);
    add("code_challenge", pkce_challenge(login.code_verifier));
    add("code_challenge_method", "S256");
    for (const auto& [name, value] : extra) add(name, value);
    return url;
}

}  // namespace fauth::oidc
