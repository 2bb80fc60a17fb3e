#include "fauth/token.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "algorithm.hpp"
#include "base64url.hpp"
#include "fauth/errors.hpp"
#include "hmac.hpp"
#include "random.hpp"

namespace fauth {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 10> kRegisteredClaims = {"sub", "exp", "iat", "nbf", "jti",
                                                                "token_type", "scopes", "iss", "aud", "fam"};

// Parses `text` as a JSON object whose top-level keys are unique. RFC 7515 section 5.2 and
// RFC 7519 section 4 allow rejecting duplicates; accepting them lets two parsers disagree.
// Returns a discarded value when `text` is not such an object.
json parse_object(std::string_view text, const char* what) {
    std::vector<std::string> keys;
    bool duplicate = false;
    json::parser_callback_t on_event = [&](int depth, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::key && depth == 1) {
            const auto& key = parsed.get_ref<const std::string&>();
            for (const auto& seen : keys)
                if (seen == key) duplicate = true;
            keys.push_back(key);
        }
        return true;
    };
    json value = json::parse(text.begin(), text.end(), on_event, /*allow_exceptions=*/false);
    if (value.is_discarded()) throw InvalidToken(std::string(what) + " is not valid JSON");
    if (!value.is_object()) throw InvalidToken(std::string(what) + " is not a JSON object");
    if (duplicate) throw InvalidToken(std::string(what) + " has a duplicate member");
    return value;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// The JOSE header must be exactly what this codec signs with: the algorithm is pinned by the
// configuration and never taken from the token.
void check_header(const json& header, std::string_view algorithm) {
    const auto alg = header.find("alg");
    if (alg == header.end() || !alg->is_string()) throw InvalidToken("header has no alg");
    const auto& name = alg->get_ref<const std::string&>();
    if (iequals(name, "none")) throw InvalidToken("alg none is not accepted");
    if (name != algorithm) throw InvalidToken("algorithm not allowed");
    if (header.contains("crit")) throw InvalidToken("crit header parameters are not supported");
    const auto typ = header.find("typ");
    if (typ != header.end() && (!typ->is_string() || !iequals(typ->get_ref<const std::string&>(), "JWT")))
        throw InvalidToken("typ is not JWT");
}

enum class Round { down, up };

// A NumericDate claim as whole seconds, rounded in the direction that shortens validity.
std::optional<std::int64_t> numeric_date(const json& claims, const char* name, Round round) {
    const auto it = claims.find(name);
    if (it == claims.end()) return std::nullopt;
    constexpr std::int64_t kLimit = 1'000'000'000'000'000;  // far beyond any real date, far within int64
    if (it->is_number_unsigned()) {
        const auto v = it->get<std::uint64_t>();
        if (v < static_cast<std::uint64_t>(kLimit)) return static_cast<std::int64_t>(v);
    } else if (it->is_number_integer()) {
        const auto v = it->get<std::int64_t>();
        if (v > -kLimit && v < kLimit) return v;
    } else if (it->is_number_float()) {
        const double v = it->get<double>();
        if (std::isfinite(v) && v > -1e15 && v < 1e15)
            return static_cast<std::int64_t>(round == Round::down ? std::floor(v) : std::ceil(v));
    } else {
        throw InvalidToken(std::string(name) + " is not a number");
    }
    throw InvalidToken(std::string(name) + " is out of range");
}

const std::string& required_string(const json& claims, const char* name) {
    const auto it = claims.find(name);
    if (it == claims.end()) throw InvalidToken(std::string("missing ") + name);
    if (!it->is_string()) throw InvalidToken(std::string(name) + " is not a string");
    const auto& value = it->get_ref<const std::string&>();
    if (value.empty()) throw InvalidToken(std::string(name) + " is empty");
    return value;
}

std::vector<std::string> string_list(const json& value, const char* name, bool allow_single) {
    std::vector<std::string> out;
    if (allow_single && value.is_string()) {
        out.push_back(value.get<std::string>());
        return out;
    }
    if (!value.is_array()) throw InvalidToken(std::string(name) + " is not a list of strings");
    out.reserve(value.size());
    for (const auto& item : value) {
        if (!item.is_string()) throw InvalidToken(std::string(name) + " is not a list of strings");
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::int64_t seconds_since_epoch(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::chrono::seconds ttl_of(const AuthConfig& config, TokenType type) {
    switch (type) {
        case TokenType::access: return config.access_token_ttl;
        case TokenType::refresh: return config.refresh_token_ttl;
        case TokenType::password_reset: return config.password_reset_ttl;
        case TokenType::email_verification: return config.email_verification_ttl;
    }
    throw std::invalid_argument("unknown token type");
}

void check_extra(const json& extra) {
    if (extra.is_null()) return;
    if (!extra.is_object()) throw std::invalid_argument("fauth: extra claims must be a JSON object");
    for (const auto& item : extra.items())
        if (is_registered_claim(item.key()))
            throw std::invalid_argument("fauth: extra claim '" + item.key() +
                                        "' is registered and set by fauth; choose another name");
}

}  // namespace

std::string_view to_string(TokenType type) noexcept {
    switch (type) {
        case TokenType::access: return "access";
        case TokenType::refresh: return "refresh";
        case TokenType::password_reset: return "password_reset";
        case TokenType::email_verification: return "email_verification";
    }
    return "unknown";
}

std::optional<TokenType> token_type_from_string(std::string_view name) noexcept {
    for (auto type : {TokenType::access, TokenType::refresh, TokenType::password_reset, TokenType::email_verification})
        if (to_string(type) == name) return type;
    return std::nullopt;
}

std::string random_id() { return detail::random_hex(16); }

bool is_registered_claim(std::string_view name) noexcept {
    for (auto claim : kRegisteredClaims)
        if (claim == name) return true;
    return false;
}

bool TokenPayload::has_scope(std::string_view scope) const noexcept {
    for (const auto& s : scopes)
        if (s == scope) return true;
    return false;
}

void to_json(nlohmann::json& out, const TokenResponse& response) {
    out = nlohmann::json{{"access_token", response.access_token},
                         {"refresh_token", response.refresh_token},
                         {"token_type", response.token_type},
                         {"expires_in", response.expires_in}};
}

TokenCodec::TokenCodec(AuthConfig config) : config_(std::move(config)) {
    config_.validate();
    const auto* alg = detail::find_hmac_algorithm(config_.algorithm);
    key_ = std::make_shared<const detail::HmacKey>(alg->digest, config_.secret_key);
    header_segment_ = detail::base64url_encode(json{{"alg", config_.algorithm}, {"typ", "JWT"}}.dump());
}

TokenPayload TokenCodec::make_payload(TokenType type, std::string sub, std::vector<std::string> scopes,
                                      nlohmann::json extra) const {
    check_extra(extra);
    TokenPayload p;
    p.sub = std::move(sub);
    p.iat = seconds_since_epoch(config_.now());
    p.exp = p.iat + ttl_of(config_, type).count();
    p.jti = random_id();
    p.token_type = type;
    p.scopes = std::move(scopes);
    p.iss = config_.issuer;
    if (config_.audience) p.aud = {*config_.audience};
    p.extra = extra.is_null() ? json::object() : std::move(extra);
    return p;
}

std::string TokenCodec::sign(const TokenPayload& payload) const {
    if (payload.sub.empty()) throw std::invalid_argument("fauth: a token needs a non-empty sub");
    if (payload.jti.empty()) throw std::invalid_argument("fauth: a token needs a non-empty jti");
    check_extra(payload.extra);
    json claims = payload.extra.is_null() ? json::object() : payload.extra;
    claims["sub"] = payload.sub;
    claims["exp"] = payload.exp;
    claims["iat"] = payload.iat;
    if (payload.nbf) claims["nbf"] = *payload.nbf;
    claims["jti"] = payload.jti;
    claims["token_type"] = to_string(payload.token_type);
    claims["scopes"] = payload.scopes;
    if (payload.iss) claims["iss"] = *payload.iss;
    if (payload.aud.size() == 1) claims["aud"] = payload.aud.front();
    else if (!payload.aud.empty()) claims["aud"] = payload.aud;
    if (!payload.family.empty()) claims["fam"] = payload.family;

    std::string body;
    try {
        body = claims.dump();
    } catch (const json::type_error&) {
        throw std::invalid_argument("fauth: token claims must be valid UTF-8");
    }
    std::string token;
    token.reserve(header_segment_.size() + body.size() * 4 / 3 + 100);
    token += header_segment_;
    token += '.';
    detail::base64url_encode(body, token);
    unsigned char mac[detail::kMaxMacSize];
    key_->compute(token, mac);
    token += '.';
    detail::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), key_->size()), token);
    return token;
}

std::string TokenCodec::issue(TokenType type, std::string sub, std::vector<std::string> scopes,
                              nlohmann::json extra) const {
    return sign(make_payload(type, std::move(sub), std::move(scopes), std::move(extra)));
}

std::string TokenCodec::fingerprint(std::string_view data) const {
    std::string input = "fauth-fingerprint-v1:";
    input += data;
    unsigned char mac[detail::kMaxMacSize];
    key_->compute(input, mac);
    return detail::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), 16));
}

TokenPayload TokenCodec::verify(std::string_view token, TokenType expected) const {
    if (token.empty()) throw InvalidToken("empty token");
    if (token.size() > config_.max_token_bytes) throw InvalidToken("token too large");

    // Compact serialization: exactly three segments, none of them empty.
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        throw InvalidToken("malformed token: expected three segments");
    const auto header_b64 = token.substr(0, first);
    const auto payload_b64 = token.substr(first + 1, second - first - 1);
    const auto signature_b64 = token.substr(second + 1);
    if (header_b64.empty() || payload_b64.empty() || signature_b64.empty())
        throw InvalidToken("malformed token: empty segment");

    std::string scratch;
    // Header: the bytes this codec writes pass without parsing; anything else is decoded and must
    // still name exactly the configured algorithm.
    if (header_b64 != header_segment_) {
        if (!detail::base64url_decode(header_b64, scratch)) throw InvalidToken("header is not canonical base64url");
        check_header(parse_object(scratch, "header"), config_.algorithm);
    }

    // Signature before anything in the payload is looked at.
    if (!detail::base64url_decode(signature_b64, scratch)) throw InvalidToken("signature is not canonical base64url");
    if (!key_->verify(token.substr(0, second), scratch)) throw InvalidToken("signature mismatch");

    if (!detail::base64url_decode(payload_b64, scratch)) throw InvalidToken("payload is not canonical base64url");
    json claims = parse_object(scratch, "payload");

    TokenPayload p;
    p.sub = required_string(claims, "sub");
    p.jti = required_string(claims, "jti");
    const auto type = token_type_from_string(required_string(claims, "token_type"));
    if (!type) throw InvalidToken("unknown token_type");
    p.token_type = *type;
    if (p.token_type != expected)
        throw InvalidToken(std::string(to_string(p.token_type)) + " token used where " +
                           std::string(to_string(expected)) + " token is required");
    if (const auto it = claims.find("scopes"); it != claims.end()) p.scopes = string_list(*it, "scopes", false);

    if (const auto it = claims.find("iss"); it != claims.end()) {
        if (!it->is_string()) throw InvalidToken("iss is not a string");
        p.iss = it->get<std::string>();
    }
    if (config_.issuer && p.iss != config_.issuer) throw InvalidToken("issuer mismatch");
    if (const auto it = claims.find("aud"); it != claims.end()) p.aud = string_list(*it, "aud", true);
    if (const auto it = claims.find("fam"); it != claims.end()) {
        if (!it->is_string() || it->get_ref<const std::string&>().empty()) throw InvalidToken("fam is not a string");
        p.family = it->get<std::string>();
    }
    if (config_.audience) {
        bool found = false;
        for (const auto& a : p.aud) found = found || a == *config_.audience;
        if (!found) throw InvalidToken("audience mismatch");
    } else if (!p.aud.empty()) {
        // RFC 7519 section 4.1.3: a recipient that is not among the audiences must reject.
        throw InvalidToken("token has an audience and none is configured");
    }

    const auto exp = numeric_date(claims, "exp", Round::down);
    if (!exp) throw InvalidToken("missing exp");
    p.exp = *exp;
    p.nbf = numeric_date(claims, "nbf", Round::up);
    p.iat = numeric_date(claims, "iat", Round::up).value_or(0);

    const std::int64_t now = seconds_since_epoch(config_.now());
    const std::int64_t leeway = config_.leeway.count();
    if (p.nbf && now + leeway < *p.nbf) throw InvalidToken("token not yet valid");
    if (p.iat > now + leeway) throw InvalidToken("token issued in the future");
    if (now >= p.exp + leeway) throw TokenExpired();

    for (auto& item : claims.items())
        if (!is_registered_claim(item.key())) p.extra[item.key()] = std::move(item.value());
    return p;
}

}  // namespace fauth
