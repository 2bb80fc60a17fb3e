// fauth's own token operations, the HMAC floor, and verification cost by token size. One core.
// Run through scripts/bench; libjwt_bench.cpp and cppjwt_bench.cpp hold the peers (libjwt's
// `struct jwt` and cpp-jwt's `namespace jwt` cannot share a file).
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "common.hpp"
#include "fauth/core/api_key.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/dpop.hpp"
#include "fauth/core/internal/hmac.hpp"
#include "fauth/core/keys.hpp"

namespace {
using namespace fauth::bench;

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

// What a DPoP-bound request adds to the token's verification, beside the HS256 verify above: the
// whole check of one ES256 proof of a GET /me (header and claims read, the signature by the P-256
// key in its header, htm, htu normalized, iat window, ath against the token, the key's RFC 7638
// thumbprint). No replay cache: verify_dpop_proof does not consult one.
void FauthVerifyDpopProof(benchmark::State& state) {
    const auto key = fauth::Key::generate("ES256");
    const auto full = key.public_jwk();
    const nlohmann::json jwk = {{"kty", full["kty"]}, {"crv", full["crv"]}, {"x", full["x"]}, {"y", full["y"]}};
    const std::string url = "http://127.0.0.1:8000/me";
    const nlohmann::json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", jwk}};
    const nlohmann::json claims = {{"jti", "e1j3V_bKic8-LAEB"},
                                   {"htm", "GET"},
                                   {"htu", url},
                                   {"iat", kIat},
                                   {"ath", fauth::sha256_base64url(token())}};
    const auto input = fauth::base64url_encode(header.dump()) + '.' + fauth::base64url_encode(claims.dump());
    const auto proof = input + '.' + fauth::base64url_encode(key.sign(input));
    const fauth::DpopRequest request{.method = "GET", .url = url, .access_token = token()};
    const fauth::DpopPolicy policy;
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(kIat));
    if (!fauth::verify_dpop_proof(proof, request, policy, now)) state.SkipWithError("the proof does not verify");
    for (auto _ : state) {
        auto verified = fauth::verify_dpop_proof(proof, request, policy, now);
        benchmark::DoNotOptimize(verified);
    }
    state.counters["proof_bytes"] = static_cast<double>(proof.size());
}
BENCHMARK(FauthVerifyDpopProof);

// The API key path's own work, beside the HS256 verify above: find the lookup part of a presented
// key (the store is then asked for it), and check the key against the stored SHA-256 (one digest
// of the ~66-byte key, hex, compared in constant time). No signature, no claims.
const fauth::NewApiKey& api_key() {
    static const fauth::NewApiKey k = fauth::generate_api_key("fauth");
    return k;
}

void ApiKeyId(benchmark::State& state) {
    const auto& k = api_key();
    for (auto _ : state) {
        auto id = fauth::api_key_id(k.key, "fauth");
        benchmark::DoNotOptimize(id);
    }
}
BENCHMARK(ApiKeyId);

void ApiKeyMatches(benchmark::State& state) {
    const auto& k = api_key();
    for (auto _ : state) benchmark::DoNotOptimize(fauth::api_key_matches(k.key, k.hash));
    state.counters["key_bytes"] = static_cast<double>(k.key.size());
}
BENCHMARK(ApiKeyMatches);

// The floor: one HMAC-SHA256 over the same signing input, key schedule done once. Two ways:
// duplicating the keyed context per token (the straightforward thread-safe way), and
// re-initialising one context that keeps its key (what fauth does, per pooled context).
struct KeyedMac {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* keyed = EVP_MAC_CTX_new(mac);
    KeyedMac() {
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
                               OSSL_PARAM_construct_end()};
        EVP_MAC_init(keyed, reinterpret_cast<const unsigned char*>(kSecret.data()), kSecret.size(), params);
    }
    ~KeyedMac() {
        EVP_MAC_CTX_free(keyed);
        EVP_MAC_free(mac);
    }
};

std::string signing_input() {
    const auto& t = token();
    return t.substr(0, t.rfind('.'));
}

void HmacFloor(benchmark::State& state) {
    const auto input = signing_input();
    KeyedMac key;
    unsigned char out[32];
    std::size_t len = 0;
    for (auto _ : state) {
        EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(key.keyed);
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()), input.size());
        EVP_MAC_final(ctx, out, &len, sizeof out);
        EVP_MAC_CTX_free(ctx);
        benchmark::DoNotOptimize(out);
    }
    state.counters["input_bytes"] = static_cast<double>(input.size());
}
BENCHMARK(HmacFloor);

void HmacFloorReused(benchmark::State& state) {
    const auto input = signing_input();
    KeyedMac key;
    unsigned char out[32];
    std::size_t len = 0;
    for (auto _ : state) {
        EVP_MAC_init(key.keyed, nullptr, 0, nullptr);
        EVP_MAC_update(key.keyed, reinterpret_cast<const unsigned char*>(input.data()), input.size());
        EVP_MAC_final(key.keyed, out, &len, sizeof out);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(HmacFloorReused);

// fauth's own HMAC alone (detail::HmacKey, what verify and sign call) over the same signing
// input: the key's inner and outer SHA-256 states copied per MAC, beside the two floors above.
void FauthHmac(benchmark::State& state) {
    const auto input = signing_input();
    const fauth::detail::HmacKey key("SHA256", kSecret);
    unsigned char out[fauth::detail::kMaxMacSize];
    for (auto _ : state) {
        key.compute(input, out);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(FauthHmac);

// How verification cost grows with the size of the claims (extra claim padding).
void FauthVerifyBySize(benchmark::State& state) {
    auto p = payload();
    p.extra["pad"] = std::string(static_cast<std::size_t>(state.range(0)), 'x');
    const auto t = codec().sign(p);
    for (auto _ : state) benchmark::DoNotOptimize(codec().verify(t, fauth::TokenType::access).sub.data());
    state.counters["token_bytes"] = static_cast<double>(t.size());
}
BENCHMARK(FauthVerifyBySize)->Arg(0)->Arg(512)->Arg(2048)->Arg(5000);

// A token made the way a password login makes it (Engine::pair): iat to the microsecond (six
// decimals), 22-character jti and fam, fresh, its session begun at its issue (no auth_time), no
// scopes: the layout the own-claims reader reads directly (FauthVerify's token has whole-second
// iat, a 32-hex-digit jti and scopes).
void FauthVerifyLoginToken(benchmark::State& state) {
    auto p = codec().make_payload(fauth::TokenType::access, "user-123");
    p.iat_us = kIat * 1'000'000 + 123'456;
    p.family = fauth::random_token_id();
    p.auth_time = p.iat;
    p.auth_time_us = p.iat_us;
    p.fresh = true;
    const auto t = codec().sign(p);
    for (auto _ : state) {
        auto read = codec().verify(t, fauth::TokenType::access);
        benchmark::DoNotOptimize(read.sub.data());
    }
    state.counters["token_bytes"] = static_cast<double>(t.size());
}
BENCHMARK(FauthVerifyLoginToken);

}  // namespace

BENCHMARK_MAIN();
