#include "targets.hpp"

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "fauth/core/errors.hpp"
#include "fauth/http/bearer.hpp"
#include "fauth/http/token_request.hpp"
#include "fauth/core/password.hpp"
#include "fauth/core/token.hpp"
#include "claims_codec.hpp"
#include "json_object_reader.hpp"
#include "own_claims_reader.hpp"

namespace fauth::fuzz {
namespace {

std::string_view as_text(const std::uint8_t* data, std::size_t size) { return {reinterpret_cast<const char*>(data), size}; }

// A broken invariant: stop loudly so the fuzzer (or the regression test) reports it.
[[noreturn]] void broken() { std::abort(); }

const TokenCodec& codec() {
    static const TokenCodec instance = [] {
        TokenConfig c;
        c.secret_key = "fuzzing-secret-key-of-32-bytes!!";
        c.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)); };
        return TokenCodec(c);
    }();
    return instance;
}

// Every field of two payloads alike; `extra` also as its text, so that 1 and 1.0 differ.
bool same_payload(const TokenPayload& a, const TokenPayload& b) {
    return a.sub == b.sub && a.exp == b.exp && a.iat == b.iat && a.iat_us == b.iat_us && a.auth_time == b.auth_time &&
           a.auth_time_us == b.auth_time_us && a.fresh == b.fresh && a.nbf == b.nbf && a.jti == b.jti &&
           a.token_type == b.token_type && a.scopes == b.scopes && a.iss == b.iss && a.aud == b.aud && a.family == b.family &&
           a.roles == b.roles && a.external == b.external && a.extra == b.extra && a.extra.type() == b.extra.type() &&
           a.extra.dump() == b.extra.dump();
}

}  // namespace

int token_verify(const std::uint8_t* data, std::size_t size) {
    const auto token = as_text(data, size);
    for (auto type : {TokenType::access, TokenType::refresh}) {
        try {
            const auto payload = codec().verify(token, type);
            // Whatever verifies must be what we would sign: non-empty sub and jti, a known type.
            if (payload.sub.empty() || payload.jti.empty() || payload.token_type != type) broken();
        } catch (const InvalidToken& e) {
            if (e.reason().empty()) broken();
        } catch (const TokenExpired&) {}
        // Any other exception escapes and the fuzzer reports it.
    }
    return 0;
}

int json_object(const std::uint8_t* data, std::size_t size) {
    const auto text = as_text(data, size);
    // The reference: nlohmann's parser, with duplicate top-level keys refused (RFC 7515 5.2). It
    // skips a leading byte order mark, which the reader (rightly, for JOSE) does not.
    std::vector<std::string> keys;
    bool duplicate = false;
    nlohmann::json::parser_callback_t on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1) {
            const auto& key = parsed.get_ref<const std::string&>();
            for (const auto& seen : keys) duplicate = duplicate || seen == key;
            keys.push_back(key);
        }
        return true;
    };
    auto expected = nlohmann::json::parse(text.begin(), text.end(), on_event, false);
    const bool bom = text.substr(0, 3) == "\xEF\xBB\xBF";
    // nlohmann also takes a NUL byte for the end of the input and accepts `{...}\0garbage`; a raw
    // NUL is invalid anywhere in JSON text (found by this target: regressions/json_object/).
    const bool nul = text.find('\0') != std::string_view::npos;
    const bool reference_accepts = !bom && !nul && !expected.is_discarded() && expected.is_object() && !duplicate;

    auto actual = nlohmann::json::object();
    try {
        detail::JsonObjectReader reader(text, "fuzz");
        detail::JsonMember member;
        while (reader.next(member)) {
            auto value = nlohmann::json::parse(member.raw);  // a raw value the reader passed must parse
            if (member.kind == detail::JsonKind::string &&
                detail::JsonObjectReader::string_value(member) != value.get<std::string>())
                broken();
            std::vector<std::string> items;
            if (detail::JsonObjectReader::string_array(member, items)) {
                if (!value.is_array() || value.size() != items.size()) broken();
                for (std::size_t i = 0; i < items.size(); ++i)
                    if (value[i] != items[i]) broken();
            }
            actual[std::string(member.key)] = std::move(value);
        }
    } catch (const InvalidToken& e) {
        if (reference_accepts || e.reason().empty()) broken();
        return 0;
    }
    if (!reference_accepts || actual != expected) broken();
    return 0;
}

int own_claims_reader(const std::uint8_t* data, std::size_t size) {
    const auto text = as_text(data, size);
    const auto fast = detail::read_own_claims(text);  // throws nothing but std::bad_alloc
    std::optional<TokenPayload> general;
    try {
        general = detail::read_claims_generally(text, detail::ClaimShape::own);
    } catch (const InvalidToken& e) {
        if (e.reason().empty()) broken();
    }
    if (fast && (!general || !same_payload(*fast, *general))) broken();
    return 0;
}

int bearer(const std::uint8_t* data, std::size_t size) {
    const auto value = as_text(data, size);
    const auto c = http::parse_bearer(value);
    if (c.status == http::BearerCredentials::Status::present) {
        if (c.token.empty() || value.find(c.token) == std::string_view::npos) broken();
    } else if (!c.token.empty()) {
        broken();
    }
    return 0;
}

int token_request(const std::uint8_t* data, std::size_t size) {
    const auto body = as_text(data, size);
    for (const char* type : {"application/x-www-form-urlencoded", "application/json; charset=utf-8"}) {
        const auto login = http::parse_login_request(type, body);
        if (const auto* r = std::get_if<http::LoginRequest>(&login); r && r->username.empty()) broken();
        if (const auto* e = std::get_if<http::RequestError>(&login); e && e->status != 422) broken();
        const auto refresh = http::parse_refresh_request(type, body);
        if (const auto* t = std::get_if<std::string>(&refresh); t && t->empty()) broken();
    }
    return 0;
}

int password_verify(const std::uint8_t* data, std::size_t size) {
    const auto text = as_text(data, size);
    // A stored hash names its own cost; costs above 5 would make a single input take seconds.
    if (const auto cost = bcrypt_cost(text); !cost || *cost <= 5)
        if (verify_password("correct horse", text) && text.size() != 60) broken();
    static const std::string known = hash_password("correct horse", 4);
    if (verify_password(text, known) != (text == "correct horse")) broken();
    return 0;
}

}  // namespace fauth::fuzz
