// html.hpp — text put into the HTML fauth writes (Swagger UI's page, a sign-in's error page).
// Internal to src/http.
#pragma once

#include <string>
#include <string_view>

namespace fauth::http {

// `s` with &, <, > and " escaped: safe in an element's text and in a quoted attribute.
inline std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace fauth::http
