#include "targets.hpp"

#include <cstdlib>
#include <string>
#include <string_view>

#include "fauth/errors.hpp"
#include "fauth/http/bearer.hpp"
#include "fauth/http/token_request.hpp"
#include "fauth/password.hpp"
#include "fauth/token.hpp"

namespace fauth::fuzz {
namespace {

std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A broken invariant: stop loudly so the fuzzer (or the regression test) reports it.
[[noreturn]] void broken() { std::abort(); }

const TokenCodec& codec() {
    static const TokenCodec instance = [] {
        AuthConfig c;
        c.secret_key = "fuzzing-secret-key-of-32-bytes!!";
        c.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)); };
        return TokenCodec(c);
    }();
    return instance;
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
        } catch (const TokenExpired&) {
        }
        // Any other exception escapes and the fuzzer reports it.
    }
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
