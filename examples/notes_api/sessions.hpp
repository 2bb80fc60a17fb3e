// examples/notes_api/sessions.hpp — a user's sessions (one per device or browser that logged in):
// listed with where and when they were used, ended one by one or all but the current one; an
// admin ends every session of a user.
#pragma once

#include <memory>

#include <fauth/http.hpp>

#include "account.hpp"
#include "store.hpp"

namespace notes {

/// Adds, for a logged-in user (a token or the session cookie, never an API key: a key has no session):
///   GET    /api/v1/auth/sessions        [{"id", "started_at", "last_refreshed_at", "client", "user_agent",
///                                        "label", "origin", "current"}], the most recently refreshed first
///   DELETE /api/v1/auth/sessions/{id}   204; 404 for an id that is no live session of the caller
///   DELETE /api/v1/auth/sessions        ends every session of the caller but the current one: 204
/// and for role admin:
///   DELETE /api/v1/admin/users/{id}/sessions  ends every session of that user (revoke_all): 204; 404 for no such user
void add_session_routes(fauth::http::Api& api, const Auth& auth, std::shared_ptr<Store> store);

}  // namespace notes
