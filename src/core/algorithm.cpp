#include "algorithm.hpp"

namespace fauth::detail {
namespace {

constexpr JwsAlgorithm kAlgorithms[] = {
    {"HS256", KeyFamily::hmac, "SHA256", 32, {}, nullptr, 0},
    {"HS384", KeyFamily::hmac, "SHA384", 48, {}, nullptr, 0},
    {"HS512", KeyFamily::hmac, "SHA512", 64, {}, nullptr, 0},
    {"RS256", KeyFamily::rsa, "SHA256", 0, {}, nullptr, 0},
    {"RS384", KeyFamily::rsa, "SHA384", 0, {}, nullptr, 0},
    {"RS512", KeyFamily::rsa, "SHA512", 0, {}, nullptr, 0},
    {"PS256", KeyFamily::rsa_pss, "SHA256", 0, {}, nullptr, 0},
    {"PS384", KeyFamily::rsa_pss, "SHA384", 0, {}, nullptr, 0},
    {"PS512", KeyFamily::rsa_pss, "SHA512", 0, {}, nullptr, 0},
    {"ES256", KeyFamily::ecdsa, "SHA256", 0, "P-256", "prime256v1", 32},
    {"ES384", KeyFamily::ecdsa, "SHA384", 0, "P-384", "secp384r1", 48},
    {"ES512", KeyFamily::ecdsa, "SHA512", 0, "P-521", "secp521r1", 66},
    {"EdDSA", KeyFamily::eddsa, nullptr, 0, "Ed25519", nullptr, 0},
    {"Ed25519", KeyFamily::eddsa, nullptr, 0, "Ed25519", nullptr, 0},  // RFC 9864's fully specified name
};

}  // namespace

const JwsAlgorithm* find_algorithm(std::string_view name) noexcept {
    for (const auto& a : kAlgorithms)
        if (a.name == name) return &a;
    return nullptr;
}

const JwsAlgorithm* find_hmac_algorithm(std::string_view name) noexcept {
    const auto* a = find_algorithm(name);
    return a != nullptr && a->family == KeyFamily::hmac ? a : nullptr;
}

std::string_view supported_hmac_names() noexcept { return "HS256, HS384, HS512"; }

std::string_view supported_algorithm_names() noexcept {
    return "HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519";
}

}  // namespace fauth::detail
