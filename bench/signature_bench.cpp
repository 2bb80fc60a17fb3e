// Asymmetric verification (RS256, PS256, ES256, EdDSA): fauth verifying its own tokens and a
// resource server verifying an identity provider's, against two floors: OpenSSL's EVP_DigestVerify
// alone, on a cached EVP_PKEY, over the identity provider's token's signing input and signature
// (already decoded, and already in DER for ECDSA), set up per token or copied from a prepared
// setup. The peers (libjwt, cpp-jwt) are in their own files.
#include <benchmark/benchmark.h>
#include <openssl/rsa.h>

#include "signature_common.hpp"

namespace {
using namespace fauth::bench;

void FauthVerifyOwn(benchmark::State& state, const char* algorithm) {
    const auto& c = signature_case(algorithm);
    for (auto _ : state) benchmark::DoNotOptimize(c.own->verify(c.own_token, fauth::TokenType::access).sub.data());
}

void FauthVerifyIssuer(benchmark::State& state, const char* algorithm) {
    const auto& c = signature_case(algorithm);
    for (auto _ : state) {
        auto p = c.resource->verify(c.external_token, fauth::TokenType::access);
        if (p.roles.empty()) throw std::runtime_error("bench: the roles were not read");
        benchmark::DoNotOptimize(p.sub.data());
    }
}

// Readies `ctx` to verify the case's signatures.
void start_verifying(EVP_MD_CTX* ctx, const SignatureCase& c) {
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_DigestVerifyInit(ctx, &pctx, c.algorithm == "EdDSA" ? nullptr : EVP_sha256(), nullptr, c.public_key.get());
    if (c.algorithm == "PS256") {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
}

// The floor as issue 14 defines it: a verification set up and run per token, the usual way.
void OpensslVerifyFloor(benchmark::State& state, const char* algorithm) {
    const auto& c = signature_case(algorithm);
    const std::string input = c.signing_input();
    const std::string signature = c.openssl_signature();
    for (auto _ : state) {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        start_verifying(ctx, c);
        const int ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                        reinterpret_cast<const unsigned char*>(input.data()), input.size());
        EVP_MD_CTX_free(ctx);
        if (ok != 1) throw std::runtime_error("bench: OpenSSL refused the signature");
    }
}

// The stricter floor: the setup done once and copied per token, which is what fauth does.
void OpensslVerifyFloorPrepared(benchmark::State& state, const char* algorithm) {
    const auto& c = signature_case(algorithm);
    const std::string input = c.signing_input();
    const std::string signature = c.openssl_signature();
    EVP_MD_CTX* prepared = EVP_MD_CTX_new();
    start_verifying(prepared, c);
    for (auto _ : state) {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        EVP_MD_CTX_copy_ex(ctx, prepared);
        EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
        const int ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                        reinterpret_cast<const unsigned char*>(input.data()), input.size());
        EVP_MD_CTX_free(ctx);
        if (ok != 1) throw std::runtime_error("bench: OpenSSL refused the signature");
    }
    EVP_MD_CTX_free(prepared);
}

#define FAUTH_SIGNATURE_BENCHMARKS(fn)     \
    BENCHMARK_CAPTURE(fn, RS256, "RS256"); \
    BENCHMARK_CAPTURE(fn, PS256, "PS256"); \
    BENCHMARK_CAPTURE(fn, ES256, "ES256"); \
    BENCHMARK_CAPTURE(fn, EdDSA, "EdDSA")
FAUTH_SIGNATURE_BENCHMARKS(FauthVerifyOwn);
FAUTH_SIGNATURE_BENCHMARKS(FauthVerifyIssuer);
FAUTH_SIGNATURE_BENCHMARKS(OpensslVerifyFloor);
FAUTH_SIGNATURE_BENCHMARKS(OpensslVerifyFloorPrepared);

}  // namespace
