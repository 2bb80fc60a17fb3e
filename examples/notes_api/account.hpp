// examples/notes_api/account.hpp — the account flows of the notes API (fastapi-users' routes are
// the reference): registration that tells no one who is registered, e-mail verification, forgotten
// and changed passwords, a browser login by cookie and the small HTML page that uses it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <fauth/http.hpp>

#include "store.hpp"

namespace notes {

/// The notes API's provider.
using Auth = fauth::AuthProvider<User>;

/// A message to a user's address, carrying a token to send back.
struct Mail {
    /// The address.
    std::string to;
    /// What it is about.
    std::string subject;
    /// The token it carries (verification or password reset).
    std::string token;
};

/// Sends mail. Plug in your mail service; the example's writes each mail to the log.
using Mailer = std::function<void(const Mail&)>;

/// A mailer that writes `mail {"to", "subject", "token"}` as one line on standard output.
Mailer log_mailer();

/// The JSON object body of `request`, or an answer (415, 413 or 422) and nothing.
std::optional<nlohmann::json> json_body(const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter& writer);

/// Adds, under /api/v1/auth: register, request-verify-token, verify, forgot-password,
/// reset-password, change-password and session (the cookie login), all in the OpenAPI document.
void add_account_routes(fauth::http::Api& api, const Auth& auth, std::shared_ptr<Store> store, Mailer mailer);

/// Serves the browser page at / (login by cookie, then the user's notes).
void add_login_page(fauth::http::Api& api, const std::string& csrf_cookie);

}  // namespace notes
