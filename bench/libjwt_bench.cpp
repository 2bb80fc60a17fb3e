// libjwt 1.10 on the same tokens and claims (peer for fauth's token benchmarks).
#include <benchmark/benchmark.h>
#include <jwt.h>

#include <cstdlib>
#include <stdexcept>

#include "common.hpp"
#include "signature_common.hpp"

namespace {
using namespace fauth::bench;

void LibjwtVerify(benchmark::State& state) {
    const auto& t = token();
    for (auto _ : state) {
        jwt_t* jwt = nullptr;
        if (jwt_decode(&jwt, t.c_str(), reinterpret_cast<const unsigned char*>(kSecret.data()),
                       static_cast<int>(kSecret.size())) != 0)
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
        free(out);  // libjwt 1.10 has no jwt_free_str
        jwt_free(jwt);
    }
}
BENCHMARK(LibjwtSign);

// The identity provider's token and public key (PEM), as in signature_bench.cpp. libjwt 1.10
// has neither PS256 nor EdDSA.
void LibjwtVerifySignature(benchmark::State& state, const char* algorithm) {
    const auto& c = signature_case(algorithm);
    for (auto _ : state) {
        jwt_t* jwt = nullptr;
        if (jwt_decode(&jwt, c.external_token.c_str(), reinterpret_cast<const unsigned char*>(c.public_pem.data()),
                       static_cast<int>(c.public_pem.size())) != 0)
            throw std::runtime_error("libjwt refused the token");
        benchmark::DoNotOptimize(jwt_get_grant(jwt, "sub"));
        benchmark::DoNotOptimize(jwt_get_grant_int(jwt, "exp"));
        jwt_free(jwt);
    }
}
BENCHMARK_CAPTURE(LibjwtVerifySignature, RS256, "RS256");
BENCHMARK_CAPTURE(LibjwtVerifySignature, ES256, "ES256");

}  // namespace
