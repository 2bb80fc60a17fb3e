// Token micro-benchmarks: fauth against libjwt and cpp-jwt in the same run, and the floor (one
// keyed HMAC-SHA256 with a precomputed key context), all on the same claims set: sub, iat, exp,
// jti, token_type and two scopes. One core. Run through scripts/bench.
#include <benchmark/benchmark.h>
#include <jwt.h>

#include <jwt/jwt.hpp>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <stdexcept>
#include <string>

#include "fauth/token.hpp"

namespace {

const std::string kSecret = "benchmark-secret-key-of-32-bytes";
const std::int64_t kIat = 4'000'000'000 - 3600;  // far future: no contender rejects it as expired
const std::int64_t kExp = 4'000'000'000;

fauth::TokenCodec& codec() {
    static fauth::TokenCodec instance = [] {
        fauth::AuthConfig c;
        c.secret_key = kSecret;
        c.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(kIat)); };
        c.access_token_ttl = std::chrono::seconds(kExp - kIat);
        return fauth::TokenCodec(c);
    }();
    return instance;
}

fauth::TokenPayload payload() {
    auto p = codec().make_payload(fauth::TokenType::access, "user-123", {"read", "write"});
    p.jti = "0123456789abcdef0123456789abcdef";
    return p;
}

const std::string& token() {
    static const std::string t = codec().sign(payload());
    return t;
}

void FauthVerify(benchmark::State& state) {
    const auto& t = token();
    for (auto _ : state) {
        auto p = codec().verify(t, fauth::TokenType::access);
        benchmark::DoNotOptimize(p.sub.data());
    }
}
BENCHMARK(FauthVerify);

void FauthSign(benchmark::State& state) {
    const auto p = payload();
    for (auto _ : state) benchmark::DoNotOptimize(codec().sign(p));
}
BENCHMARK(FauthSign);

void LibjwtVerify(benchmark::State& state) {
    const auto& t = token();
    for (auto _ : state) {
        jwt_t* jwt = nullptr;
        if (jwt_decode(&jwt, t.c_str(), reinterpret_cast<const unsigned char*>(kSecret.data()), static_cast<int>(kSecret.size())) != 0)
            throw std::runtime_error("libjwt refused the token");
        benchmark::DoNotOptimize(jwt_get_grant(jwt, "sub"));
        benchmark::DoNotOptimize(jwt_get_grant_int(jwt, "exp"));
        jwt_free(jwt);
    }
}
BENCHMARK(LibjwtVerify);

void LibjwtSign(benchmark::State& state) {
    for (auto _ : state) {
        jwt_t* jwt = nullptr;
        jwt_new(&jwt);
        jwt_add_grant(jwt, "sub", "user-123");
        jwt_add_grant_int(jwt, "iat", kIat);
        jwt_add_grant_int(jwt, "exp", kExp);
        jwt_add_grant(jwt, "jti", "0123456789abcdef0123456789abcdef");
        jwt_add_grant(jwt, "token_type", "access");
        jwt_add_grants_json(jwt, R"({"scopes":["read","write"]})");
        jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(kSecret.data()), static_cast<int>(kSecret.size()));
        char* out = jwt_encode_str(jwt);
        benchmark::DoNotOptimize(out);
        jwt_free_str(out);
        jwt_free(jwt);
    }
}
BENCHMARK(LibjwtSign);

void CppJwtVerify(benchmark::State& state) {
    using namespace jwt::params;
    const auto& t = token();
    for (auto _ : state) {
        auto obj = jwt::decode(t, algorithms({"HS256"}), secret(kSecret), verify(true));
        benchmark::DoNotOptimize(obj.payload().get_claim_value<std::string>("sub"));
    }
}
BENCHMARK(CppJwtVerify);

void CppJwtSign(benchmark::State& state) {
    using namespace jwt::params;
    for (auto _ : state) {
        jwt::jwt_object obj{algorithm("HS256"), secret(kSecret),
                            payload({{"sub", "user-123"}, {"jti", "0123456789abcdef0123456789abcdef"}, {"token_type", "access"}})};
        obj.add_claim("iat", kIat).add_claim("exp", kExp);
        obj.payload().add_claim("scopes", std::vector<std::string>{"read", "write"});
        benchmark::DoNotOptimize(obj.signature());
    }
}
BENCHMARK(CppJwtSign);

// The floor: one HMAC-SHA256 over the same signing input, key schedule done once.
void HmacFloor(benchmark::State& state) {
    const auto& t = token();
    const std::string input = t.substr(0, t.rfind('.'));
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* keyed = EVP_MAC_CTX_new(mac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_init(keyed, reinterpret_cast<const unsigned char*>(kSecret.data()), kSecret.size(), params);
    unsigned char out[32];
    std::size_t len = 0;
    for (auto _ : state) {
        EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed);
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()), input.size());
        EVP_MAC_final(ctx, out, &len, sizeof out);
        EVP_MAC_CTX_free(ctx);
        benchmark::DoNotOptimize(out);
    }
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
    state.counters["input_bytes"] = static_cast<double>(input.size());
}
BENCHMARK(HmacFloor);

// How verification cost grows with the size of the claims (extra claim padding).
void FauthVerifyBySize(benchmark::State& state) {
    auto p = payload();
    p.extra["pad"] = std::string(static_cast<std::size_t>(state.range(0)), 'x');
    const auto t = codec().sign(p);
    for (auto _ : state) benchmark::DoNotOptimize(codec().verify(t, fauth::TokenType::access).sub.data());
    state.counters["token_bytes"] = static_cast<double>(t.size());
}
BENCHMARK(FauthVerifyBySize)->Arg(0)->Arg(512)->Arg(2048)->Arg(5000);

}  // namespace

BENCHMARK_MAIN();
