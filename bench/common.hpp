// Shared by the benchmark files: one key, one claims set (sub, iat, exp, jti, token_type and two
// scopes), and the token every contender verifies (signed by fauth; all of them accept it).
#pragma once

#include <string>

#include "fauth/core/token.hpp"

namespace fauth::bench {

inline const std::string kSecret = "benchmark-secret-key-of-32-bytes";
inline const std::int64_t kIat = 4'000'000'000 - 3600;  // far future: no contender rejects it as expired
inline const std::int64_t kExp = 4'000'000'000;

inline fauth::TokenCodec& codec() {
    static fauth::TokenCodec instance = [] {
        fauth::TokenConfig c;
        c.secret_key = kSecret;
        c.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(kIat)); };
        c.access_token_ttl = std::chrono::seconds(kExp - kIat);
        return fauth::TokenCodec(c);
    }();
    return instance;
}

inline fauth::TokenPayload payload() {
    auto p = codec().make_payload(fauth::TokenType::access, "user-123", {"read", "write"});
    p.jti = "0123456789abcdef0123456789abcdef";
    return p;
}

inline const std::string& token() {
    static const std::string t = codec().sign(payload());
    return t;
}

}  // namespace fauth::bench
