// examples/notes_api/sign_in.hpp — "Sign in with ..." for the notes API: one OpenID provider
// configured from the environment, its accounts linked to notes users by issuer and subject.
#pragma once

#include <memory>

#include "account.hpp"

namespace notes {

/// When FAUTH_OIDC_ISSUER is set, adds the sign-in routes of that provider (/auth/{name}/login,
/// /auth/{name}/callback, /auth/{name}/end-session and /auth/{name}/backchannel-logout) and GET /api/v1/auth/providers, which lists the providers offered
/// ([{"name", "display_name", "login_url"}], empty without one) for the page. Reads
/// FAUTH_OIDC_NAME (default "oidc"), FAUTH_OIDC_DISPLAY_NAME, FAUTH_OIDC_CLIENT_ID,
/// FAUTH_OIDC_CLIENT_SECRET (none: a public client), FAUTH_OIDC_REDIRECT_URI (the callback's
/// absolute URL, as registered at the provider), FAUTH_OIDC_POST_LOGOUT_REDIRECT_URI (where the
/// provider sends the browser after signing out there, as registered), FAUTH_OIDC_CA_FILE (a CA to trust besides the
/// system's). A provider account is linked to the notes user it signed in first; a new one whose
/// verified address no account has gets a new account without a password; an address an account
/// already has is refused (403): its owner signs in with their password.
void add_sign_in(fauth::http::Api& api, const Auth& auth, std::shared_ptr<Store> store);

}  // namespace notes
