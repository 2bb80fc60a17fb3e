// examples/notes_api/keys.hpp — API keys of the notes API: each user makes, lists and revokes
// their own; programs then call the notes routes with `X-API-Key` instead of a token.
#pragma once

#include <memory>

#include <fauth/http.hpp>

#include "account.hpp"
#include "store.hpp"

namespace notes {

/// Makes `auth` find keys in `store` (one joined query per request) and record their last use
/// (at most once a minute per key, so that a busy key does not write on every request).
void use_store_for_api_keys(Auth& auth, std::shared_ptr<Store> store);

/// Adds, under /api/v1/keys, for a logged-in user (a token or the session cookie, never a key):
///   POST   /api/v1/keys      {"name", "scopes", "expires_in_days"?}  201 with the key, shown once;
///                            a fresh login only (401 "Fresh token required" after a refresh)
///   GET    /api/v1/keys      the user's keys (never the key or its hash)
///   DELETE /api/v1/keys/{id} 204; 404 for a key that is not the user's
void add_key_routes(fauth::http::Api& api, const Auth& auth, std::shared_ptr<Store> store);

}  // namespace notes
