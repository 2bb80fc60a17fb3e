#include "fauth/core/token.hpp"
#include "fauth/core/internal/ascii.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>
#include <utility>

#include "algorithm.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "json_object_reader.hpp"
#include "json_writer.hpp"
#include "fauth/core/internal/random.hpp"

namespace fauth {
namespace {

using nlohmann::json;
using detail::JsonKind;
using detail::JsonMember;
using detail::JsonObjectReader;

constexpr std::array<std::string_view, 14> kRegisteredClaims = {
    "sub", "exp", "iat", "nbf", "jti", "token_type", "scopes", "iss", "aud", "fam", "iat_us", "auth_time", "auth_time_us", "fresh"};

// What a JOSE header says, once checked: the algorithm it names and its key id.
struct Header {
    std::string alg;
    std::string kid;
    bool has_kid = false;
    bool at_jwt = false;  // typ says at+jwt (RFC 9068)
};

// Checks a JOSE header: `alg` present and never "none", no `crit`, `typ` JWT or at+jwt if present, `kid` a
// string if present. When `pinned` is given, `alg` must be exactly it (HMAC configuration: the
// algorithm comes from the configuration, never from the token); otherwise the caller matches it
// against the key that `kid` selects.
Header read_header(std::string_view text, std::string_view pinned) {
    JsonObjectReader reader(text, "header");
    JsonMember member, alg, typ, kid;
    bool crit = false;
    while (reader.next(member)) {
        if (member.key == "alg") alg = member;
        else if (member.key == "typ") typ = member;
        else if (member.key == "kid") kid = member;
        else if (member.key == "crit") crit = true;
    }
    if (alg.raw.empty() || alg.kind != JsonKind::string) throw InvalidToken("header has no alg");
    Header header;
    header.alg = JsonObjectReader::string_value(alg);
    if (ascii_iequals(header.alg, "none")) throw InvalidToken("alg none is not accepted");
    if (!pinned.empty() && header.alg != pinned) throw InvalidToken("algorithm not allowed");
    if (crit) throw InvalidToken("crit header parameters are not supported");
    if (!typ.raw.empty()) {
        if (typ.kind != JsonKind::string) throw InvalidToken("typ is not JWT");
        const auto value = JsonObjectReader::string_value(typ);
        header.at_jwt = ascii_iequals(value, "at+jwt") || ascii_iequals(value, "application/at+jwt");
        if (!header.at_jwt && !ascii_iequals(value, "JWT")) throw InvalidToken("typ is not JWT");
    }
    if (!kid.raw.empty()) {
        if (kid.kind != JsonKind::string) throw InvalidToken("kid is not a string");
        header.kid = JsonObjectReader::string_value(kid);
        header.has_kid = true;
    }
    return header;
}

// Key ring verification: the header's kid selects the key for the header's alg (which must be
// among `allowed`, when given), and that key checks the signature of `signed_part`. A kid the ring
// lacks throws UnknownKeyId naming the ring, so that the caller can refresh it.
void verify_with_ring(const Header& header, const std::shared_ptr<KeyRing>& ring, const std::vector<std::string>* allowed,
                      std::string_view signed_part, std::string_view signature_b64) {
    if (!header.has_kid) throw InvalidToken("token has no kid");
    if (allowed != nullptr && std::find(allowed->begin(), allowed->end(), header.alg) == allowed->end())
        throw InvalidToken("algorithm not allowed");
    const auto keys = ring->current();
    const Key* key = keys->find(header.kid, header.alg);
    if (key == nullptr) {
        if (keys->find(header.kid) != nullptr) throw InvalidToken("algorithm not allowed");
        throw UnknownKeyId(header.kid, ring);
    }
    std::string signature;
    if (!base64url_decode(signature_b64, signature)) throw InvalidToken("signature is not canonical base64url");
    if (!key->verify(signed_part, signature)) throw InvalidToken("signature mismatch");
}

// The `iss` a payload claims, read before anything is verified, only to choose whose keys verify
// it; nothing else of the payload is trusted or kept.
std::optional<std::string> claimed_issuer(std::string_view payload) {
    JsonObjectReader reader(payload, "payload");
    JsonMember member;
    while (reader.next(member))
        if (member.key == "iss") {
            if (member.kind != JsonKind::string) throw InvalidToken("iss is not a string");
            return JsonObjectReader::string_value(member);
        }
    return std::nullopt;
}

// The value at `path` in `claims`, or null.
const json* at_path(const json& claims, const ClaimPath& path) {
    const json* node = &claims;
    for (const auto& step : path) {
        if (!node->is_object()) return nullptr;
        const auto it = node->find(step);
        if (it == node->end()) return nullptr;
        node = &*it;
    }
    return node;
}

std::string path_name(const ClaimPath& path) {
    std::string name;
    for (const auto& step : path) name += (name.empty() ? "" : ".") + step;
    return name;
}

// Appends the strings at `path` (a space-separated string when `split`, one string otherwise, or
// an array of strings) to `out`, skipping repeats.
void append_claim_strings(const json& claims, const ClaimPath& path, bool split, std::vector<std::string>& out) {
    const json* value = at_path(claims, path);
    if (value == nullptr) return;
    const auto add = [&](std::string item) {
        if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) out.push_back(std::move(item));
    };
    if (value->is_string()) {
        const auto& text = value->get_ref<const std::string&>();
        if (!split) return add(text);
        std::size_t start = 0;
        while (start <= text.size()) {
            const auto space = text.find(' ', start);
            add(text.substr(start, space == std::string::npos ? std::string::npos : space - start));
            if (space == std::string::npos) break;
            start = space + 1;
        }
        return;
    }
    if (!value->is_array()) throw InvalidToken(path_name(path) + " is not a string or a list of strings");
    for (const auto& item : *value) {
        if (!item.is_string()) throw InvalidToken(path_name(path) + " is not a list of strings");
        add(item.get<std::string>());
    }
}

// True when `claims` has member `name` holding exactly the string `value`.
bool claim_equals(const json& claims, const std::string& name, const std::string& value) {
    const auto claim = claims.find(name);
    return claim != claims.end() && claim->is_string() && claim->get_ref<const std::string&>() == value;
}

// True when one of `token_audiences` is among `accepted`.
bool shares_one(const std::vector<std::string>& token_audiences, std::span<const std::string> accepted) {
    for (const auto& a : token_audiences)
        if (std::find(accepted.begin(), accepted.end(), a) != accepted.end()) return true;
    return false;
}

// A value the reader has already validated, as JSON for `extra`.
json parse_validated(std::string_view raw) {
    json value = json::parse(raw.begin(), raw.end(), nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) throw InvalidToken("payload is not valid JSON");  // the two parsers disagree
    return value;
}

enum class Round { down, up };

// The registered claims of one token as the reader found them (raw empty: absent).
using ClaimSlots = std::array<JsonMember, kRegisteredClaims.size()>;

// Indexes into kRegisteredClaims and ClaimSlots.
enum Claim : std::size_t {
    kSub, kExp, kIat, kNbf, kJti, kTokenType, kScopes, kIss, kAud, kFam, kIatUs, kAuthTime, kAuthTimeUs, kFresh
};

const JsonMember* slot(const ClaimSlots& slots, Claim claim) {
    return slots[claim].raw.empty() ? nullptr : &slots[claim];
}

std::string claim_name(Claim claim) { return std::string(kRegisteredClaims[claim]); }

// A NumericDate claim as whole seconds, rounded in the direction that shortens validity.
std::optional<std::int64_t> numeric_date(const ClaimSlots& slots, Claim claim, Round round) {
    const auto* m = slot(slots, claim);
    if (m == nullptr) return std::nullopt;
    if (m->kind != JsonKind::number) throw InvalidToken(claim_name(claim) + " is not a number");
    constexpr std::int64_t kLimit = 1'000'000'000'000'000;  // far beyond any real date, far within int64
    const auto* first = m->raw.data();
    const auto* last = first + m->raw.size();
    if (std::none_of(first, last, [](char c) { return c == '.' || c == 'e' || c == 'E'; })) {
        std::int64_t v = 0;
        const auto [end, ec] = std::from_chars(first, last, v);
        if (ec == std::errc() && end == last && v > -kLimit && v < kLimit) return v;
    } else {
        double v = 0;
        const auto [end, ec] = std::from_chars(first, last, v);
        if (ec == std::errc() && end == last && std::isfinite(v) && v > -1e15 && v < 1e15)
            return static_cast<std::int64_t>(round == Round::down ? std::floor(v) : std::ceil(v));
    }
    throw InvalidToken(claim_name(claim) + " is out of range");
}

// fauth's microsecond issue time: a plain positive integer (fauth writes no other form).
std::int64_t microseconds_claim(const ClaimSlots& slots, Claim claim) {
    const auto* m = slot(slots, claim);
    if (m == nullptr) return 0;
    std::int64_t v = 0;
    const auto* first = m->raw.data();
    const auto* last = first + m->raw.size();
    const auto [end, ec] = std::from_chars(first, last, v);
    if (m->kind != JsonKind::number || ec != std::errc() || end != last || v <= 0 || v >= 1'000'000'000'000'000'000)
        throw InvalidToken(claim_name(claim) + " is not a whole number of microseconds");
    return v;
}

std::string required_string(const ClaimSlots& slots, Claim claim) {
    const auto* m = slot(slots, claim);
    if (m == nullptr) throw InvalidToken("missing " + claim_name(claim));
    if (m->kind != JsonKind::string) throw InvalidToken(claim_name(claim) + " is not a string");
    if (m->raw.size() == 2) throw InvalidToken(claim_name(claim) + " is empty");
    return JsonObjectReader::string_value(*m);
}

std::vector<std::string> string_list(const JsonMember& m, const char* name, bool allow_single) {
    std::vector<std::string> out;
    if (allow_single && m.kind == JsonKind::string) {
        out.push_back(JsonObjectReader::string_value(m));
        return out;
    }
    if (!JsonObjectReader::string_array(m, out)) throw InvalidToken(std::string(name) + " is not a list of strings");
    return out;
}

std::chrono::seconds ttl_of(const TokenConfig& config, TokenType type) {
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

std::string random_id() { return random_hex(16); }

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

TokenCodec::TokenCodec(TokenConfig config) : config_(std::move(config)) {
    config_.validate();
    if (const auto* alg = detail::find_hmac_algorithm(config_.algorithm); alg && !config_.secret_key.empty())
        key_ = std::make_shared<const detail::HmacKey>(alg->digest, config_.secret_key);
    if (!config_.keys) header_segment_ = base64url_encode(json{{"alg", config_.algorithm}, {"typ", "JWT"}}.dump());
}

TokenPayload TokenCodec::make_payload(TokenType type, std::string sub, std::vector<std::string> scopes,
                                      nlohmann::json extra) const {
    check_extra(extra);
    TokenPayload p;
    p.sub = std::move(sub);
    // One reading of the clock for both issue times, so that iat is iat_us's second.
    p.iat_us = unix_microseconds(config_.clock);
    p.iat = second_of(p.iat_us);
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

    // The claims written straight into text: no DOM for the registered claims.
    std::string body;
    body.reserve(256 + payload.sub.size() + payload.jti.size() + payload.family.size() + 16 * payload.scopes.size());
    const auto integer_claim = [&body](std::string_view name, std::int64_t value) {
        body += ",\"";
        body += name;
        body += "\":";
        detail::append_json_integer(body, value);
    };
    body += "{\"sub\":";
    detail::append_json_string(body, payload.sub);
    integer_claim("exp", payload.exp);
    integer_claim("iat", payload.iat);
    if (payload.iat_us != 0) integer_claim("iat_us", payload.iat_us);
    if (payload.auth_time) integer_claim("auth_time", *payload.auth_time);
    if (payload.auth_time_us != 0) integer_claim("auth_time_us", payload.auth_time_us);
    if (payload.nbf) integer_claim("nbf", *payload.nbf);
    body += ",\"jti\":";
    detail::append_json_string(body, payload.jti);
    body += ",\"token_type\":\"";
    body += to_string(payload.token_type);
    body += "\",\"scopes\":";
    detail::append_json_strings(body, payload.scopes);
    if (payload.iss) {
        body += ",\"iss\":";
        detail::append_json_string(body, *payload.iss);
    }
    if (payload.aud.size() == 1) {
        body += ",\"aud\":";
        detail::append_json_string(body, payload.aud.front());
    } else if (!payload.aud.empty()) {
        body += ",\"aud\":";
        detail::append_json_strings(body, payload.aud);
    }
    if (!payload.family.empty()) {
        body += ",\"fam\":";
        detail::append_json_string(body, payload.family);
    }
    if (payload.fresh) body += ",\"fresh\":true";
    if (payload.extra.is_object() && !payload.extra.empty()) {
        std::string extra;
        try {
            extra = payload.extra.dump();
        } catch (const json::type_error&) {
            throw std::invalid_argument("fauth: token claims must be valid UTF-8");
        }
        body.push_back(',');
        body.append(extra, 1, extra.size() - 2);  // the members, without the object's braces
    }
    body.push_back('}');

    std::string token;
    token.reserve(header_segment_.size() + body.size() * 4 / 3 + 100);
    if (config_.keys) {
        // Key ring: the current signing key, named by kid, with its own algorithm.
        const auto keys = config_.keys->current();
        const Key* key = keys->signing_key();
        if (key == nullptr) throw std::logic_error("fauth: this key set has no signing key: it can only verify tokens");
        std::string header = "{\"alg\":";
        detail::append_json_string(header, key->algorithm());
        header += ",\"typ\":\"JWT\",\"kid\":";
        detail::append_json_string(header, key->kid());
        header += '}';
        base64url_encode(header, token);
        token += '.';
        base64url_encode(body, token);
        const auto signature = key->sign(token);
        token += '.';
        base64url_encode(signature, token);
        return token;
    }
    if (!key_) throw std::logic_error("fauth: this configuration has no key of its own: it only verifies its trusted issuers' tokens");
    token += header_segment_;
    token += '.';
    base64url_encode(body, token);
    unsigned char mac[detail::kMaxMacSize];
    key_->compute(token, mac);
    token += '.';
    base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), key_->size()), token);
    return token;
}

std::string TokenCodec::issue(TokenType type, std::string sub, std::vector<std::string> scopes,
                              nlohmann::json extra) const {
    return sign(make_payload(type, std::move(sub), std::move(scopes), std::move(extra)));
}

std::string TokenCodec::fingerprint(std::string_view data) const {
    if (!key_) throw std::logic_error("fauth: password-reset binding needs AuthConfig.secret_key");
    std::string input = "fauth-fingerprint-v1:";
    input += data;
    unsigned char mac[detail::kMaxMacSize];
    key_->compute(input, mac);
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), 16));
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

    // Decoded segments go to the stack when they fit (every ordinary token), else to the heap.
    std::array<char, 2048> local;
    std::string heap;
    const auto decode = [&](std::string_view b64, const char* what) {
        const std::size_t need = base64url_decoded_size(b64.size());
        char* out = local.data();
        if (need > local.size()) {
            heap.resize(need);
            out = heap.data();
        }
        const auto size = base64url_decode(b64, out, need);
        if (!size) throw InvalidToken(std::string(what) + " is not canonical base64url");
        return std::string_view(out, *size);
    };

    // A trusted issuer's token is chosen by its claimed `iss`, before any key is looked at.
    const TrustedIssuer* external = nullptr;
    if (!config_.issuers.empty()) {
        const auto iss = claimed_issuer(decode(payload_b64, "payload"));
        for (const auto& trusted : config_.issuers)
            if (iss && *iss == trusted.issuer) external = &trusted;
        // Not a trusted issuer's: it must be this service's own (its issuer, or none when it names
        // none), or nothing is looked up for it. (Without keys of its own, the last branch below
        // refuses it.)
        if (external == nullptr && iss && (!config_.issuer || *iss != *config_.issuer))
            throw InvalidToken("unknown issuer");
    }

    if (external != nullptr) {
        const auto header = read_header(decode(header_b64, "header"), {});
        if (!external->accept_tokens_without_at_jwt && !header.at_jwt) throw InvalidToken("typ must be at+jwt");
        verify_with_ring(header, external->keys, &external->algorithms, token.substr(0, second), signature_b64);
    } else if (config_.keys) {
        verify_with_ring(read_header(decode(header_b64, "header"), {}), config_.keys, nullptr, token.substr(0, second),
                         signature_b64);
    } else {
        if (!key_) throw InvalidToken("unknown issuer");  // only trusted issuers' tokens are verified here
        // Header: the bytes this codec writes pass without parsing; anything else is decoded and
        // must still name exactly the configured algorithm.
        if (header_b64 != header_segment_) read_header(decode(header_b64, "header"), config_.algorithm);

        // Signature before anything in the payload is looked at.
        char signature[detail::kMaxMacSize];
        const auto signature_size = base64url_decode(signature_b64, signature, sizeof signature);
        if (!signature_size) {
            // Canonical but longer than any MAC is a wrong signature, not a malformed one.
            std::string scratch;
            if (!base64url_decode(signature_b64, scratch))
                throw InvalidToken("signature is not canonical base64url");
            throw InvalidToken("signature mismatch");
        }
        if (!key_->verify(token.substr(0, second), std::string_view(signature, *signature_size)))
            throw InvalidToken("signature mismatch");
    }

    // Claims: registered ones into their slots, every other one into `extra`.
    TokenPayload p;
    ClaimSlots slots;
    JsonObjectReader reader(decode(payload_b64, "payload"), "payload");
    JsonMember member;
    while (reader.next(member)) {
        std::size_t i = 0;
        while (i < kRegisteredClaims.size() && kRegisteredClaims[i] != member.key) ++i;
        // A trusted issuer's scopes, families and other claims of fauth's own are its own
        // business: read as its claim paths say.
        if (external != nullptr && (i == kScopes || i == kFam || i == kIatUs || i == kAuthTime || i == kAuthTimeUs || i == kFresh))
            i = kRegisteredClaims.size();
        if (i < kRegisteredClaims.size()) slots[i] = member;
        else if (member.kind == JsonKind::string) p.extra[std::string(member.key)] = JsonObjectReader::string_value(member);
        else p.extra[std::string(member.key)] = parse_validated(member.raw);
    }

    p.sub = required_string(slots, kSub);
    if (external != nullptr) {
        // A provider's access token: jti and token_type are optional, its own claims say the rest.
        if (slot(slots, kJti) != nullptr) p.jti = required_string(slots, kJti);
        if (slot(slots, kTokenType) != nullptr && required_string(slots, kTokenType) != "access")
            throw InvalidToken("token_type is not access");
        if (expected != TokenType::access)
            throw InvalidToken("a token from " + external->issuer + " is an access token, never a " +
                               std::string(to_string(expected)) + " token");
    } else {
        p.jti = required_string(slots, kJti);
        const auto type = token_type_from_string(required_string(slots, kTokenType));
        if (!type) throw InvalidToken("unknown token_type");
        p.token_type = *type;
        if (p.token_type != expected)
            throw InvalidToken(std::string(to_string(p.token_type)) + " token used where " +
                               std::string(to_string(expected)) + " token is required");
    }
    if (const auto* m = slot(slots, kScopes)) p.scopes = string_list(*m, "scopes", false);
    p.external = external != nullptr;

    if (const auto* m = slot(slots, kIss)) {
        if (m->kind != JsonKind::string) throw InvalidToken("iss is not a string");
        p.iss = JsonObjectReader::string_value(*m);
    }
    if (const auto* m = slot(slots, kAud)) p.aud = string_list(*m, "aud", true);
    if (external != nullptr) {
        for (const auto& path : external->scope_claims) append_claim_strings(p.extra, path, true, p.scopes);
        for (const auto& path : external->role_claims) append_claim_strings(p.extra, path, false, p.roles);
        std::vector<std::string> from_claim;  // Cognito's client_id, say
        const bool in_aud = external->audience_claim == "aud";
        if (!in_aud) append_claim_strings(p.extra, {external->audience_claim}, false, from_claim);
        if (!shares_one(in_aud ? p.aud : from_claim, external->audiences)) throw InvalidToken("audience mismatch");
        for (const auto& [name, value] : external->required_claims)
            if (!claim_equals(p.extra, name, value)) throw InvalidToken(name + " is not " + value);
        if (external->authorized_party && !claim_equals(p.extra, "azp", *external->authorized_party))
            throw InvalidToken("authorized party mismatch");
    } else {
        if (config_.issuer && p.iss != config_.issuer) throw InvalidToken("issuer mismatch");
        if (const auto* m = slot(slots, kFam)) {
            if (m->kind != JsonKind::string || m->raw.size() == 2) throw InvalidToken("fam is not a string");
            p.family = JsonObjectReader::string_value(*m);
        }
        p.iat_us = microseconds_claim(slots, kIatUs);
        p.auth_time = numeric_date(slots, kAuthTime, Round::down);
        p.auth_time_us = microseconds_claim(slots, kAuthTimeUs);
        if (const auto* m = slot(slots, kFresh)) {
            if (m->raw != "true" && m->raw != "false") throw InvalidToken("fresh is not a boolean");
            p.fresh = m->raw == "true";
        }
        if (config_.audience) {
            if (!shares_one(p.aud, std::span(&*config_.audience, 1))) throw InvalidToken("audience mismatch");
        } else if (!p.aud.empty()) {
            // RFC 7519 section 4.1.3: a recipient that is not among the audiences must reject.
            throw InvalidToken("token has an audience and none is configured");
        }
    }

    const auto exp = numeric_date(slots, kExp, Round::down);
    if (!exp) throw InvalidToken("missing exp");
    p.exp = *exp;
    p.nbf = numeric_date(slots, kNbf, Round::up);
    p.iat = numeric_date(slots, kIat, Round::up).value_or(0);

    const std::int64_t now = unix_seconds(config_.clock);
    const std::int64_t leeway = config_.leeway.count();
    if (p.nbf && now + leeway < *p.nbf) throw InvalidToken("token not yet valid");
    if (p.iat > now + leeway) throw InvalidToken("token issued in the future");
    if (now >= p.exp + leeway) throw TokenExpired();
    return p;
}

}  // namespace fauth
