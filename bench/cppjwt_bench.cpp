// cpp-jwt 1.4 on the same token and claims (peer for fauth's token benchmarks).
#include <benchmark/benchmark.h>

#include <jwt/jwt.hpp>

#include "common.hpp"
#include "signature_common.hpp"

namespace {
using namespace fauth::bench;

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
                            payload(
                                {{"sub", "user-123"}, {"jti", "0123456789abcdef0123456789abcdef"}, {"token_type", "access"}})};
        obj.add_claim("iat", kIat).add_claim("exp", kExp);
        obj.payload().add_claim("scopes", std::vector<std::string>{"read", "write"});
        benchmark::DoNotOptimize(obj.signature());
    }
}
BENCHMARK(CppJwtSign);

// The identity provider's token and public key (PEM), as in signature_bench.cpp. cpp-jwt 1.4
// has neither PS256 nor EdDSA.
void CppJwtVerifySignature(benchmark::State& state, const char* algorithm) {
    using namespace jwt::params;
    const auto& c = signature_case(algorithm);
    for (auto _ : state) {
        auto obj = jwt::decode(c.external_token, algorithms({algorithm}), secret(c.public_pem), verify(true));
        benchmark::DoNotOptimize(obj.payload().get_claim_value<std::string>("sub"));
    }
}
BENCHMARK_CAPTURE(CppJwtVerifySignature, RS256, "RS256");
BENCHMARK_CAPTURE(CppJwtVerifySignature, ES256, "ES256");

}  // namespace
