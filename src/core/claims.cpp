#include "claims_codec.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ostream>
#include <stdexcept>

#include "fauth/core/errors.hpp"
#include "json_object_reader.hpp"
#include "json_writer.hpp"
#include "own_claims_reader.hpp"

namespace fauth {
namespace {

using nlohmann::json;
using detail::JsonKind;
using detail::JsonMember;
using detail::JsonObjectReader;

constexpr std::array<std::string_view, 16> kRegisteredClaims = {"sub",          "exp",   "iat", "nbf", "jti",    "token_type",
                                                                "scopes",       "iss",   "aud", "fam", "iat_us", "auth_time",
                                                                "auth_time_us", "fresh", "acr", "amr"};

constexpr std::array<std::string_view, 21> kAuthMethodNames = {"face", "fpt", "geo", "hwk", "iris", "kba", "mca",
                                                               "mfa",  "otp", "pin", "pop", "pwd",  "rba", "retina",
                                                               "sc",   "sms", "swk", "tel", "user", "vbm", "wia"};

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
    kSub,
    kExp,
    kIat,
    kNbf,
    kJti,
    kTokenType,
    kScopes,
    kIss,
    kAud,
    kFam,
    kIatUs,
    kAuthTime,
    kAuthTimeUs,
    kFresh,
    kAcr,
    kAmr
};

const JsonMember* slot(const ClaimSlots& slots, Claim claim) { return slots[claim].raw.empty() ? nullptr : &slots[claim]; }

std::string claim_name(Claim claim) { return std::string(kRegisteredClaims[claim]); }

// A trusted issuer's scopes, families and other claims of fauth's own are its own business:
// read as its claim paths say, from `extra`.
constexpr bool read_from_external_tokens(std::size_t claim) noexcept {
    return claim != kScopes && claim != kFam && claim != kIatUs && claim != kAuthTime && claim != kAuthTimeUs && claim != kFresh;
}

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

// A time claim of fauth's own tokens (iat, auth_time): a NumericDate to the microsecond.
struct OwnTime {
    std::int64_t seconds = 0;
    std::int64_t microseconds = 0;  // 0 for an integer beyond microseconds' range (as for no claim)
    bool fractional = false;
};

// fauth writes whole seconds, or seconds with exactly six decimals (1733140000.123456), and reads
// back exactly what it wrote: the digits as text, never through a double. An integer is read as
// any NumericDate is; a fraction must be non-negative, plain (no exponent), at most six decimals
// (fauth's precision) and under 10^12 seconds (so that its microseconds fit).
std::optional<OwnTime> own_time(const ClaimSlots& slots, Claim claim) {
    const auto* m = slot(slots, claim);
    if (m == nullptr) return std::nullopt;
    if (m->kind != JsonKind::number) throw InvalidToken(claim_name(claim) + " is not a number");
    const std::string_view raw = m->raw;
    if (raw.find_first_of("eE") != std::string_view::npos) throw InvalidToken(claim_name(claim) + " has an exponent");
    constexpr std::int64_t kSecondsLimit = 1'000'000'000'000;
    const auto dot = raw.find('.');
    if (dot == std::string_view::npos) {
        const auto seconds = *numeric_date(slots, claim, Round::down);  // an integer: no rounding
        return OwnTime{seconds, seconds >= 0 && seconds < kSecondsLimit ? seconds * 1'000'000 : 0, false};
    }
    const auto whole = raw.substr(0, dot), fraction = raw.substr(dot + 1);
    if (fraction.size() > 6) throw InvalidToken(claim_name(claim) + " is finer than a microsecond");
    std::int64_t seconds = 0, micro = 0;
    const auto [w_end, w_ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
    const auto [f_end, f_ec] = std::from_chars(fraction.data(), fraction.data() + fraction.size(), micro);
    if (w_ec != std::errc() || w_end != whole.data() + whole.size() || f_ec != std::errc() ||
        f_end != fraction.data() + fraction.size() || fraction.empty() || fraction.front() == '-' || fraction.front() == '+' ||
        whole.front() == '-' || seconds >= kSecondsLimit)
        throw InvalidToken(claim_name(claim) + " is out of range");
    for (auto n = fraction.size(); n < 6; ++n) micro *= 10;
    return OwnTime{seconds, seconds * 1'000'000 + micro, true};
}

// The microsecond claims of the older token shape (iat_us, auth_time_us): still written beside an
// integer iat when a node lagging its revocation store stamps a token past its own clock.
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

// An id claim (jti, fam): a non-empty string, held inline when it fits (TokenId); only an id
// with escapes is decoded through a std::string.
TokenId read_id(const JsonMember& m, Claim claim) {
    if (m.kind != JsonKind::string) throw InvalidToken(claim_name(claim) + " is not a string");
    if (m.raw.size() == 2) throw InvalidToken(claim_name(claim) + " is empty");
    if (m.plain) return TokenId(m.raw.substr(1, m.raw.size() - 2));
    return TokenId(JsonObjectReader::string_value(m));
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

}  // namespace

std::string_view to_string(TokenType type) noexcept {
    switch (type) {
        case TokenType::access: return "access";
        case TokenType::refresh: return "refresh";
        case TokenType::password_reset: return "password_reset";
        case TokenType::email_verification: return "email_verification";
        case TokenType::second_factor: return "second_factor";
    }
    return "unknown";
}

std::optional<TokenType> token_type_from_string(std::string_view name) noexcept {
    for (auto type : {TokenType::access, TokenType::refresh, TokenType::password_reset, TokenType::email_verification,
                      TokenType::second_factor})
        if (to_string(type) == name) return type;
    return std::nullopt;
}

std::string_view to_string(AuthMethod method) noexcept { return kAuthMethodNames[static_cast<std::size_t>(method)]; }

std::optional<AuthMethod> auth_method_from_string(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kAuthMethodNames.size(); ++i)
        if (kAuthMethodNames[i] == name) return static_cast<AuthMethod>(i);
    return std::nullopt;
}

std::vector<std::string_view> AuthMethods::names() const {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < kAuthMethodNames.size(); ++i)
        if (has(static_cast<AuthMethod>(i))) out.push_back(kAuthMethodNames[i]);
    return out;
}

void TokenId::assign(std::string_view id) {
    if (id.size() > inline_capacity) {
        long_.assign(id);
        inline_size_ = 0;
        return;
    }
    if (!id.empty()) std::memmove(inline_.data(), id.data(), id.size());  // `id` may be a part of this one
    inline_size_ = static_cast<std::uint8_t>(id.size());
    long_.clear();
}

std::ostream& operator<<(std::ostream& out, const TokenId& id) { return out << id.view(); }

const nlohmann::json* TokenPayload::claim(std::string_view name) const noexcept {
    if (!extra.is_object()) return nullptr;
    const auto& members = extra.get_ref<const json::object_t&>();
    const auto it = members.find(name);
    return it == members.end() ? nullptr : &it->second;
}

bool TokenPayload::has_scope(std::string_view scope) const noexcept {
    for (const auto& s : scopes)
        if (s == scope) return true;
    return false;
}

bool is_registered_claim(std::string_view name) noexcept {
    for (auto claim : kRegisteredClaims)
        if (claim == name) return true;
    return false;
}

bool is_read_from_external_tokens(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kRegisteredClaims.size(); ++i)
        if (kRegisteredClaims[i] == name) return read_from_external_tokens(i);
    return false;
}

namespace detail {

void check_extra(const json& extra) {
    if (extra.is_null()) return;
    if (!extra.is_object()) throw std::invalid_argument("fauth: extra claims must be a JSON object");
    for (const auto& item : extra.items())
        if (is_registered_claim(item.key()))
            throw std::invalid_argument("fauth: extra claim '" + item.key() +
                                        "' is registered and set by fauth; choose another name");
}

std::string write_claims(const TokenPayload& payload) {
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
    // A time and its microseconds in one NumericDate when they agree on the second (always, but
    // for an iat_us a lagging node stamps ahead of its own clock: then the two claims, as before).
    const auto time_claim = [&body, &integer_claim](std::string_view name, std::int64_t seconds, std::int64_t us,
                                                    std::string_view us_name) {
        integer_claim(name, seconds);
        if (us <= 0 || second_of(us) != seconds) {
            if (us != 0) integer_claim(us_name, us);
        } else if (const auto micro = us % 1'000'000; micro != 0) {
            char digits[8] = {'.', '0', '0', '0', '0', '0', '0', '\0'};
            for (int i = 6, v = static_cast<int>(micro); i > 0; --i, v /= 10) digits[i] = static_cast<char>('0' + v % 10);
            body.append(digits, 7);
        }
    };
    time_claim("iat", payload.iat, payload.iat_us, "iat_us");
    // A session begun at the issue time (a fresh login) names no auth_time: the reader takes iat.
    if (payload.auth_time && !(*payload.auth_time == payload.iat && payload.session_started_us() == payload.issued_at_us()))
        time_claim("auth_time", *payload.auth_time, payload.auth_time_us, "auth_time_us");
    if (payload.nbf) integer_claim("nbf", *payload.nbf);
    body += ",\"jti\":";
    detail::append_json_string(body, payload.jti);
    body += ",\"token_type\":\"";
    body += to_string(payload.token_type);
    body += '"';
    if (!payload.scopes.empty()) {
        body += ",\"scopes\":";
        detail::append_json_strings(body, payload.scopes);
    }
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
    if (payload.acr != implied_acr(payload.amr)) {
        body += ",\"acr\":";
        detail::append_json_string(body, payload.acr);
    }
    if (payload.amr != kImpliedMethods) {
        body += ",\"amr\":[";
        bool first = true;
        for (const auto name : payload.amr.names()) {
            if (!first) body.push_back(',');
            first = false;
            body.push_back('"');
            body += name;
            body.push_back('"');
        }
        body.push_back(']');
    }
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
    return body;
}

TokenPayload read_claims(std::string_view text, ClaimShape shape) {
    if (auto own = shape == ClaimShape::own ? read_own_claims(text) : std::nullopt) return std::move(*own);
    return read_claims_generally(text, shape);
}

TokenPayload read_claims_generally(std::string_view text, ClaimShape shape) {
    const bool external = shape == ClaimShape::external;
    // Registered claims into their slots, every other one into `extra`.
    TokenPayload p;
    ClaimSlots slots;
    JsonObjectReader reader(text, "payload");
    JsonMember member;
    while (reader.next(member)) {
        std::size_t i = 0;
        while (i < kRegisteredClaims.size() && kRegisteredClaims[i] != member.key) ++i;
        if (external && i < kRegisteredClaims.size() && !read_from_external_tokens(i)) i = kRegisteredClaims.size();
        if (i < kRegisteredClaims.size())
            slots[i] = member;
        else if (member.kind == JsonKind::string)
            p.extra[std::string(member.key)] = JsonObjectReader::string_value(member);
        else
            p.extra[std::string(member.key)] = parse_validated(member.raw);
    }

    p.sub = required_string(slots, kSub);
    p.external = external;
    if (external) {
        // A provider's access token: jti and token_type are optional.
        if (const auto* m = slot(slots, kJti)) p.jti = read_id(*m, kJti);
        if (slot(slots, kTokenType) != nullptr && required_string(slots, kTokenType) != "access")
            throw InvalidToken("token_type is not access");
    } else {
        const auto* jti = slot(slots, kJti);
        if (jti == nullptr) throw InvalidToken("missing jti");
        p.jti = read_id(*jti, kJti);
        const auto type = token_type_from_string(required_string(slots, kTokenType));
        if (!type) throw InvalidToken("unknown token_type");
        p.token_type = *type;
    }
    if (const auto* m = slot(slots, kScopes)) p.scopes = string_list(*m, "scopes", false);
    if (const auto* m = slot(slots, kIss)) {
        if (m->kind != JsonKind::string) throw InvalidToken("iss is not a string");
        p.iss = JsonObjectReader::string_value(*m);
    }
    if (const auto* m = slot(slots, kAud)) p.aud = string_list(*m, "aud", true);
    if (!external) {
        if (const auto* m = slot(slots, kFam)) {
            if (m->kind != JsonKind::string || m->raw.size() == 2) throw InvalidToken("fam is not a string");
            p.family = read_id(*m, kFam);
        }
        // iat and auth_time to the microsecond: one fractional NumericDate each, or an integer and
        // its `_us` claim (the shape before 0.2, and a lagging node's iat_us, see write_claims).
        // The older shape (0.1) is read while its tokens live: a deployment upgrading from 0.1 needs
        // it for its longest-lived token after the upgrade (a refresh token, 7 days by default; its
        // session at most AuthConfig::session_lifetime, 30 days). So reading `auth_time_us` stays
        // through every 0.2 release and may go no earlier than 0.3, as a breaking change in the
        // changelog; `iat_us` stays (a lagging node writes it). The ids need nothing: any
        // non-empty string is read, hex or base64url.
        const auto iat = own_time(slots, kIat);
        p.iat = iat ? iat->seconds : 0;
        p.iat_us = iat ? iat->microseconds : 0;
        if (slot(slots, kIatUs) != nullptr) {
            if (iat && iat->fractional) throw InvalidToken("iat_us beside a fractional iat");
            p.iat_us = microseconds_claim(slots, kIatUs);
        }
        if (const auto auth_time = own_time(slots, kAuthTime)) {
            p.auth_time = auth_time->seconds;
            p.auth_time_us = auth_time->microseconds;
            if (slot(slots, kAuthTimeUs) != nullptr) {
                if (auth_time->fractional) throw InvalidToken("auth_time_us beside a fractional auth_time");
                p.auth_time_us = microseconds_claim(slots, kAuthTimeUs);
            }
        } else if (slot(slots, kAuthTimeUs) != nullptr) {
            throw InvalidToken("auth_time_us without auth_time");
        } else {
            // No auth_time: the session began when this token was issued (a fresh login's tokens).
            p.auth_time = p.iat;
            p.auth_time_us = p.iat_us;
        }
        if (const auto* m = slot(slots, kFresh)) {
            if (m->raw != "true" && m->raw != "false") throw InvalidToken("fresh is not a boolean");
            p.fresh = m->raw == "true";
        }
    }
    // A trusted issuer's acr or amr of another shape than OpenID Connect's is not read (as it was
    // not before fauth read them); fauth's own must be what it writes.
    if (const auto* m = slot(slots, kAcr)) {
        if (m->kind == JsonKind::string)
            p.acr = JsonObjectReader::string_value(*m);
        else if (!external)
            throw InvalidToken("acr is not a string");
    }
    if (const auto* m = slot(slots, kAmr)) {
        std::vector<std::string> names;
        if (m->kind == JsonKind::string && external)
            names.push_back(JsonObjectReader::string_value(*m));
        else if (!JsonObjectReader::string_array(*m, names) && !external)
            throw InvalidToken("amr is not a list of strings");
        for (const auto& name : names)
            if (const auto method = auth_method_from_string(name)) p.amr.add(*method);
    }
    if (!external) {  // what fauth's own tokens leave out (write_claims)
        if (slot(slots, kAmr) == nullptr) p.amr = kImpliedMethods;
        if (slot(slots, kAcr) == nullptr) p.acr = implied_acr(p.amr);
    }
    const auto exp = numeric_date(slots, kExp, Round::down);
    if (!exp) throw InvalidToken("missing exp");
    p.exp = *exp;
    p.nbf = numeric_date(slots, kNbf, Round::up);
    // A trusted issuer's fractional iat is taken as the second it falls in (as fauth's own): rounded
    // up, a token verified in the second it was issued would be "issued in the future" without a
    // leeway, and revoke_all would judge it a second later than it was issued.
    if (external) p.iat = numeric_date(slots, kIat, Round::down).value_or(0);
    return p;
}

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

}  // namespace detail
}  // namespace fauth
