// form.hpp — form-urlencoding for what the oidc layer sends (introspection requests, the
// authorization request's query). Internal to src/oidc.
#pragma once

#include <curl/curl.h>

#include <climits>
#include <cstddef>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fauth::oidc {

// `text` form-urlencoded (RFC 6749 appendix B; every byte but the unreserved ones escaped).
inline std::string form_encoded(std::string_view text) {
    if (text.empty()) return {};  // (curl reads a length of 0 as "up to the first NUL")
    if (text.size() > static_cast<std::size_t>(INT_MAX)) throw std::length_error("form_encoded: too long");
    std::unique_ptr<char, void (*)(void*)> escaped(curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size())),
                                                   curl_free);
    if (!escaped) throw std::bad_alloc();
    return escaped.get();
}

}  // namespace fauth::oidc
