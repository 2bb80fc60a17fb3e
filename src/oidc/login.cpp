#include "fauth/oidc/login.hpp"

#include <array>

#include <nlohmann/json.hpp>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "fauth/core/internal/random.hpp"
#include "form.hpp"

namespace fauth::oidc {

namespace {

// What HMAC-SHA-256 under `secret` makes of `label`: the key login states are sealed with, so
// that a MAC made for them is no MAC of anything else made under `secret`.
std::string derived_key(std::string_view secret, std::string_view label) {
    const detail::HmacKey key("SHA256", secret);
    std::array<unsigned char, 32> out{};
    key.compute(label, out.data());
    return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

// A failure of a login state that cannot be used; `why` goes to the log only.
Failure refused(std::string why) {
    return Failure{.kind = ErrorKind::invalid_token, .detail = "Invalid sign-in state", .log = "sign-in state: " + why};
}

// `bytes` random bytes, base64url.
std::string random_text(std::size_t bytes) { return base64url_encode(random_bytes(bytes)); }

}  // namespace

std::string pkce_challenge(std::string_view verifier) {
    const auto digest = sha256(verifier);
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

LoginState new_login_state(std::string provider, std::string return_to, std::int64_t now, std::chrono::seconds lifetime) {
    return LoginState{.provider = std::move(provider),
                      .state = random_text(16),
                      .nonce = random_text(16),
                      .code_verifier = random_text(32),
                      .return_to = std::move(return_to),
                      .expires_at = now + lifetime.count()};
}

struct LoginStateSeal::Impl {
    detail::HmacKey key;
    explicit Impl(std::string_view secret) : key("SHA256", derived_key(secret, "fauth oidc login state v1")) {}
};

LoginStateSeal::LoginStateSeal(std::string_view secret) {
    if (secret.size() < 32) throw ConfigError("LoginStateSeal: the secret must be at least 32 bytes");
    impl_ = std::make_unique<const Impl>(secret);
}

LoginStateSeal::~LoginStateSeal() = default;
LoginStateSeal::LoginStateSeal(LoginStateSeal&&) noexcept = default;
LoginStateSeal& LoginStateSeal::operator=(LoginStateSeal&&) noexcept = default;

std::string LoginStateSeal::seal(const LoginState& s) const {
    const nlohmann::json body{{"p", s.provider},      {"s", s.state},     {"n", s.nonce},
                              {"v", s.code_verifier}, {"r", s.return_to}, {"e", s.expires_at}};
    auto sealed = base64url_encode(body.dump());
    std::array<unsigned char, 32> mac{};
    impl_->key.compute(sealed, mac.data());
    sealed += '.';
    sealed += base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
    return sealed;
}

Result<LoginState> LoginStateSeal::open(std::string_view sealed, std::string_view provider, std::string_view state_parameter,
                                        std::int64_t now) const {
    const auto dot = sealed.find('.');
    if (dot == std::string_view::npos || sealed.size() > 4096) return refused("malformed");
    const auto payload = sealed.substr(0, dot);
    std::string mac;
    if (!base64url_decode(sealed.substr(dot + 1), mac) || !impl_->key.verify(payload, mac)) return refused("bad MAC");
    std::string text;
    if (!base64url_decode(payload, text)) return refused("malformed");
    const auto body = nlohmann::json::parse(text, nullptr, false);
    auto field = [&](const char* name) -> const nlohmann::json* {
        const auto found = body.is_object() ? body.find(name) : body.end();
        return body.is_object() && found != body.end() ? &*found : nullptr;
    };
    LoginState s;
    for (auto [name, out] : {std::pair{"p", &s.provider}, std::pair{"s", &s.state}, std::pair{"n", &s.nonce},
                             std::pair{"v", &s.code_verifier}, std::pair{"r", &s.return_to}}) {
        const auto* value = field(name);
        if (value == nullptr || !value->is_string()) return refused("malformed");
        *out = value->get<std::string>();
    }
    const auto* expires = field("e");
    if (expires == nullptr || !expires->is_number_integer()) return refused("malformed");
    s.expires_at = expires->get<std::int64_t>();
    if (s.provider != provider) return refused("started for another provider");
    if (state_parameter.size() != s.state.size() || !equal_in_constant_time(state_parameter, s.state))
        return refused("the state parameter does not match");
    if (now >= s.expires_at) return refused("expired");
    return s;
}

std::string authorization_url(std::string_view authorization_endpoint, std::string_view client_id, std::string_view redirect_uri,
                              const std::vector<std::string>& scopes, const LoginState& login,
                              const std::vector<std::pair<std::string, std::string>>& extra) {
    std::string scope = "openid";
    for (const auto& s : scopes)
        if (s != "openid") scope += " " + s;
    std::string url(authorization_endpoint);
    const auto fragment = url.find('#');
    if (fragment != std::string::npos) url.resize(fragment);  // a fragment has no place in a request
    char joiner = url.find('?') == std::string::npos ? '?' : '&';
    if (!url.empty() && (url.back() == '?' || url.back() == '&')) joiner = '\0';
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
