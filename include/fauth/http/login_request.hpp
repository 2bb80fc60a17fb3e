// fauth/http/login_request.hpp — reading login credentials from a request body, as Swagger UI's
// OAuth2 password flow (form) and API clients (JSON) send them.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace fauth::http {

/// Credentials read from a login request body.
struct LoginRequest {
    /// The login name given to the identity_loader.
    std::string username;
    /// The password, as sent.
    std::string password;
    /// Space-separated scopes the client asked for (OAuth2 `scope`); fauth grants none by itself.
    std::string scope;
};

/// Why a login body could not be read: an HTTP status (415 or 422) and a message for `detail`.
struct LoginRequestError {
    /// 415 for an unsupported content type, 422 for a body that does not hold credentials.
    int status;
    /// What is wrong, without echoing any of the body.
    std::string detail;
};

/// Reads `body` according to `content_type`: application/x-www-form-urlencoded (username,
/// password, optional grant_type which must then be "password", optional scope, client_id and
/// client_secret which are ignored) or application/json ({"username", "password"}, both strings).
/// A field given twice, a missing or empty username, or a missing password is an error.
std::variant<LoginRequest, LoginRequestError> parse_login_request(std::string_view content_type, std::string_view body);

/// Decodes one application/x-www-form-urlencoded component ('+' is a space, %XX a byte);
/// false on a malformed escape.
bool form_decode(std::string_view in, std::string& out);

}  // namespace fauth::http
