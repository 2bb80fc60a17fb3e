// Built beside main.cpp against an installed fauth: it calls into the oidc and http layers, so
// that linking it proves the installed link interface whole (with the static libraries: every
// layer below them, and libcurl, OpenSSL and Pistache). Prints "ok" when both answer as documented.
#include <fauth/core/errors.hpp>
#include <fauth/http/resource_metadata.hpp>
#include <fauth/oidc/fetch.hpp>
#include <iostream>

int main() {
    const bool url_ok = fauth::http::resource_metadata_url("https://api.example.com/notes") ==
                        "https://api.example.com/.well-known/oauth-protected-resource/notes";
    bool refused = false;  // plain http:// to a host that is not loopback
    try {
        fauth::oidc::check_fetch_url("http://idp.example.com/jwks", {});
    } catch (const fauth::ConfigError&) {
        refused = true;
    }
    std::cout << (url_ok && refused ? "ok" : "wrong") << "\n";
    return url_ok && refused ? 0 : 1;
}
