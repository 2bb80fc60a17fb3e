/// @file
/// fauth/http/token_request.hpp — reading what the token endpoints are sent: login credentials
/// and refresh tokens, from a form body (Swagger UI's OAuth2 flows) or a JSON body (API clients).
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

/// Why a body could not be read: an HTTP status (415 or 422) and a message for `detail`.
struct RequestError {
    /// 415 for an unsupported content type, 422 for a body that does not hold what is needed.
    int status;
    /// What is wrong, without echoing any of the body.
    std::string detail;
};

/// Reads a login body: application/x-www-form-urlencoded (username, password, optional
/// grant_type which must then be "password", optional scope; client_id and client_secret are
/// ignored) or application/json ({"username", "password"}, both strings). A field given twice, a
/// missing or empty username, or a missing password is an error.
std::variant<LoginRequest, RequestError> parse_login_request(std::string_view content_type, std::string_view body);

/// Reads a refresh body and returns the refresh token: form (refresh_token, optional grant_type
/// which must then be "refresh_token") or JSON ({"refresh_token": "..."}).
std::variant<std::string, RequestError> parse_refresh_request(std::string_view content_type, std::string_view body);

/// The second step of a login with a second factor (second_factor_login_endpoint).
struct SecondFactorRequest {
    /// The token the password step answered with (TokenType::second_factor).
    std::string token;
    /// A TOTP code or a recovery code, as typed.
    std::string code;
};

/// Reads a second step's body, form or JSON: `second_factor_token` and `code`, both non-empty strings.
std::variant<SecondFactorRequest, RequestError> parse_second_factor_request(std::string_view content_type, std::string_view body);

/// Reads a body holding one `code` (form or JSON): a TOTP enrolment's confirmation.
std::variant<std::string, RequestError> parse_code_request(std::string_view content_type, std::string_view body);

/// Decodes one application/x-www-form-urlencoded component ('+' is a space, `%XX` a byte);
/// false on a malformed escape.
bool form_decode(std::string_view in, std::string& out);

}  // namespace fauth::http
