#include "algorithm.hpp"

namespace fauth::detail {

const HmacAlgorithm* find_hmac_algorithm(std::string_view name) noexcept {
    static constexpr HmacAlgorithm kAlgorithms[] = {
        {"HS256", "SHA256", 32},
        {"HS384", "SHA384", 48},
        {"HS512", "SHA512", 64},
    };
    for (const auto& a : kAlgorithms)
        if (a.name == name) return &a;
    return nullptr;
}

std::string_view supported_algorithm_names() noexcept { return "HS256, HS384, HS512"; }

}  // namespace fauth::detail
