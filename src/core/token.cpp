#include "fauth/core/token.hpp"

#include <stdexcept>
#include <utility>

#include "claims_codec.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/internal/random.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "jws.hpp"
#include "key_impl.hpp"

namespace fauth {
namespace {

std::chrono::seconds ttl_of(const TokenConfig& config, TokenType type) {
    switch (type) {
        case TokenType::access: return config.access_token_ttl;
        case TokenType::refresh: return config.refresh_token_ttl;
        case TokenType::password_reset: return config.password_reset_ttl;
        case TokenType::email_verification: return config.email_verification_ttl;
        case TokenType::second_factor: return config.second_factor_ttl;
    }
    throw std::invalid_argument("unknown token type");
}

}  // namespace

std::string random_id() { return random_hex(16); }

std::string random_token_id() { return base64url_encode(random_bytes(16)); }

void to_json(nlohmann::json& out, const TokenResponse& response) {
    out = nlohmann::json{{"access_token", response.access_token},
                         {"refresh_token", response.refresh_token},
                         {"token_type", response.token_type},
                         {"expires_in", response.expires_in}};
}

TokenCodec::TokenCodec(TokenConfig config)
    : owned_(std::make_shared<const TokenConfig>(std::move(config))), config_(owned_.get()), verifier_(*config_) {}

TokenCodec::TokenCodec(const TokenConfig& config, AlreadyValidated tag) : config_(&config), verifier_(config, tag) {}

TokenPayload TokenCodec::make_payload(TokenType type, std::string sub, std::vector<std::string> scopes,
                                      nlohmann::json extra) const {
    detail::check_extra(extra);
    TokenPayload p;
    p.sub = std::move(sub);
    // One reading of the clock for both issue times, so that iat is iat_us's second.
    p.iat_us = unix_microseconds(config_->clock);
    p.iat = second_of(p.iat_us);
    p.exp = p.iat + ttl_of(*config_, type).count();
    p.jti = random_token_id();
    p.token_type = type;
    p.scopes = std::move(scopes);
    p.iss = config_->issuer;
    if (config_->audience) p.aud = {*config_->audience};
    p.extra = std::move(extra);  // null (no extra claims) stays null: see TokenPayload::extra
    return p;
}

std::string TokenCodec::sign(const TokenPayload& payload) const {
    if (payload.sub.empty()) throw std::invalid_argument("fauth: a token needs a non-empty sub");
    if (payload.jti.empty()) throw std::invalid_argument("fauth: a token needs a non-empty jti");
    const auto claims = detail::write_claims(payload);
    if (config_->keys) {
        // Key ring: the current signing key, named by kid, with its own algorithm.
        const auto keys = config_->keys->current();
        const Key* key = keys->signing_key();
        if (key == nullptr) throw std::logic_error("fauth: this key set has no signing key: it can only verify tokens");
        return detail::sign_compact(*key, claims);
    }
    const auto& secret = verifier_.secret_;
    if (!secret)
        throw std::logic_error("fauth: this configuration has no key of its own: it only verifies its trusted issuers' tokens");
    return detail::sign_compact(*secret, claims);
}

std::string TokenCodec::issue(TokenType type, std::string sub, std::vector<std::string> scopes, nlohmann::json extra) const {
    return sign(make_payload(type, std::move(sub), std::move(scopes), std::move(extra)));
}

std::string TokenCodec::fingerprint(std::string_view data) const {
    const auto& secret = verifier_.secret_;
    if (!secret) throw std::logic_error("fauth: password-reset binding needs TokenConfig::secret_key (AuthConfig::tokens)");
    std::string input = "fauth-fingerprint-v1:";
    input += data;
    unsigned char mac[detail::kMaxMacSize];
    detail::hmac_of(*secret, input, mac);
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), 16));
}

TokenPayload TokenCodec::verify(std::string_view token, TokenType expected) const { return verifier_.verify(token, expected); }

}  // namespace fauth
