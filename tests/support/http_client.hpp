// Test helper: fauth's own HTTP tests speak through the testing kit (fauth/testing.hpp), under
// the short names they have always used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <fauth/testing.hpp>

namespace fauth::test {

using HttpResponse = fauth::testing::Response;
using fauth::testing::Connection;
using fauth::testing::send_raw;

/// A request with the given method, path, extra header lines ("Name: value") and body.
inline HttpResponse request(std::uint16_t port, const std::string& method, const std::string& path,
                            const std::vector<std::string>& headers = {}, const std::string& body = "") {
    return fauth::testing::Client(port).request(method, path, headers, body);
}

/// GET `path` with `Authorization: Bearer <token>` (no header when token is empty).
inline HttpResponse get(std::uint16_t port, const std::string& path, const std::string& token = "") {
    const fauth::testing::Client client(port);
    return token.empty() ? client.get(path) : client.with_bearer(token).get(path);
}

}  // namespace fauth::test
