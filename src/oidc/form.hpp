// form.hpp — form-urlencoding for what the oidc layer sends (introspection and token requests,
// the authorization request's query), and client_secret_basic. Internal to src/oidc.
#pragma once

#include <curl/curl.h>
#include <openssl/evp.h>

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

// The `Authorization` header line of RFC 6749 section 2.3.1's client_secret_basic: the
// form-encoded client id and secret, joined by ':', in base64.
inline std::string basic_authorization(std::string_view client_id, std::string_view secret) {
    const auto pair = form_encoded(client_id) + ":" + form_encoded(secret);
    std::string out(4 * ((pair.size() + 2) / 3) + 1, '\0');
    const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(pair.data()), static_cast<int>(pair.size()));
    out.resize(static_cast<std::size_t>(size > 0 ? size : 0));
    return "Authorization: Basic " + out;
}

}  // namespace fauth::oidc
