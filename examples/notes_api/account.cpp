#include "account.hpp"

#include <iostream>
#include <mutex>
#include <utility>
#include <vector>

#include "validation.hpp"

namespace notes {
namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;
using fauth::http::RouteDoc;
using Writer = std::shared_ptr<ResponseWriter>;
using nlohmann::json;

// Mails one address may be sent (verification, reset, "already registered"), so that no one can
// flood a mailbox through the API: three at once, then three an hour.
constexpr fauth::RateLimit kMailsPerAddress{3, 3.0 / 3600};
// Wrong old passwords one user may send to change-password: as for one address guessing one name.
constexpr fauth::RateLimit kPasswordChecksPerUser{10, 10.0 / 3600};

// The answer to every request that may mail someone: the same whoever is registered.
const char* const kCheckYourMail = "If the address can receive it, a message with the next step is on its way";

// The 400 for a token that does not verify: one wording for every cause.
const char* const kBadToken = "Invalid or expired token";

// Answers `failure` from a token check: the token's own problems are a 400, anything else as fauth answers it.
void refuse_token(ResponseWriter& writer, std::exception_ptr thrown) {
    const auto failure = fauth::failure_of(std::move(thrown), "token check");
    switch (failure.kind) {
        case fauth::ErrorKind::invalid_token:
        case fauth::ErrorKind::token_expired:
        case fauth::ErrorKind::session_expired:
        case fauth::ErrorKind::user_not_found:
        case fauth::ErrorKind::inactive_user: return fauth::http::send_detail(writer, Code::Bad_Request, kBadToken);
        default: return fauth::http::send_failure(writer, failure, false, {});
    }
}

// Runs `then` once every (key, limit) of `checks` allows one more attempt; else answers 429 with
// Retry-After. `then` runs on whichever thread settles the throttle (at once with the memory one).
void throttled(const Auth& auth, Writer writer, std::vector<std::pair<std::string, fauth::RateLimit>> checks,
               std::function<void()> then) {
    if (checks.empty()) {
        try {
            return then();
        } catch (...) {
            return fauth::http::send_exception(*writer, std::current_exception(), false, {});
        }
    }
    auto [key, limit] = checks.front();
    checks.erase(checks.begin());
    auth.count_attempt(key, limit)
        .then(
            [&auth, writer, checks = std::move(checks), then = std::move(then)](const fauth::ThrottleDecision& d) mutable {
                if (!d.allowed) return fauth::http::send_too_many_requests(*writer, static_cast<long>(d.retry_after.count()));
                throttled(auth, writer, std::move(checks), std::move(then));
            },
            [writer](std::exception_ptr e) { fauth::http::send_exception(*writer, e, false, {}); });
}

// The throttle key of the request's client (IPv6 grouped as fauth groups it).
std::string client_of(const fauth::http::HttpConfig& http, const Request& request) {
    return fauth::http::throttle_client(fauth::http::client_address(request, http), http.ipv6_client_prefix);
}

// The throttle key of mail to `email` (already in canonical_email's form).
std::string mail_key(const std::string& email) { return "mail:" + email; }

json body_doc(std::initializer_list<const char*> members) {
    json properties = json::object();
    for (const auto* m : members) properties[m] = {{"type", "string"}};
    const json schema = {{"type", "object"}, {"properties", properties}, {"required", json(members)}};
    return {{"required", true}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

// Reads a JSON body in which `problem` finds nothing wrong (else 415, 413 or 422), puts its "email"
// in canonical_email's form, then runs `then(body, writer)` once the client (counted under `scope`)
// and that address may have one more mail; else 429 with Retry-After.
void mail_request(const Auth& auth, const fauth::http::HttpConfig& http, const Request& request, ResponseWriter w,
                  const std::string& scope, const std::function<std::string(const json&)>& problem,
                  std::function<void(const json&, Writer)> then) {
    auto body = json_body(request, w);
    if (!body) return;
    if (const auto found = problem(*body); !found.empty()) return fauth::http::send_detail(w, Code::Unprocessable_Entity, found);
    const auto email = canonical_email((*body)["email"].get<std::string>());
    (*body)["email"] = email;
    auto writer = std::make_shared<ResponseWriter>(std::move(w));
    throttled(auth, writer,
              {{scope + ":" + client_of(http, request), auth.config().login_limits.per_client},
               {mail_key(email), kMailsPerAddress}},
              [body = std::move(*body), writer, then = std::move(then)] { then(body, writer); });
}

// A route that reads {"email"} (throttled as mail_request says) and mails what `compose` makes for
// the active user of that address (nothing for an unknown or inactive one): 202 either way.
fauth::http::Endpoint mail_endpoint(const Auth& auth, const fauth::http::HttpConfig& http, std::shared_ptr<Store> store,
                                    Mailer mailer, std::function<std::optional<Mail>(const User&)> compose) {
    return [&auth, &http, store, mailer, compose](const Request& request, ResponseWriter w) {
        mail_request(
            auth, http, request, std::move(w), "mail-client", [](const json& body) { return email_problem(body); },
            [store, mailer, compose](const json& body, Writer writer) {
                if (const auto user = store->user_by_email(body["email"].get<std::string>()); user && user->is_active)
                    if (auto mail = compose(*user)) mailer(*mail);
                fauth::http::send_detail(*writer, Code::Accepted, kCheckYourMail);
            });
    };
}

json detail_doc(const char* description) { return fauth::http::error_response_doc(description); }

// The example's own instruments, recorded through the provider's sink beside fauth's. Neither
// tells a new address from a taken one: /register answers both alike on purpose, and a metric
// that split them would tell whoever reads it what the answer hides.
const fauth::InstrumentSpec kRegistrations{"notes.registrations",
                                           fauth::InstrumentKind::counter,
                                           "{registration}",
                                           "Registrations accepted (202), new and taken addresses alike.",
                                           {},
                                           {}};
const fauth::InstrumentSpec kMails{"notes.mails",
                                   fauth::InstrumentKind::counter,
                                   "{mail}",
                                   "Mails handed to the mailer (verification, password reset, already registered).",
                                   {},
                                   {}};

// `mailer`, each mail counted.
Mailer counted(Mailer mailer, fauth::Instrument mails) {
    if (!mails) return mailer;
    return [mailer = std::move(mailer), mails](const Mail& mail) {
        mailer(mail);
        mails.add();
    };
}

}  // namespace

Mailer log_mailer() {
    auto mutex = std::make_shared<std::mutex>();
    return [mutex](const Mail& mail) {
        const auto line = json{{"to", mail.to}, {"subject", mail.subject}, {"token", mail.token}}.dump();
        std::lock_guard lock(*mutex);
        std::cout << "mail " << line << std::endl;
    };
}

std::optional<json> json_body(const Request& request, ResponseWriter& writer) {
    const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
    if (!type || type->mime().toString().rfind("application/json", 0) != 0) {
        fauth::http::send_detail(writer, Code::Unsupported_Media_Type, "Content-Type must be application/json");
        return std::nullopt;
    }
    if (request.body().size() > kMaxBodyBytes) {
        fauth::http::send_detail(writer, Code::Request_Entity_Too_Large, "Request body too large");
        return std::nullopt;
    }
    auto body = json::parse(request.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        fauth::http::send_detail(writer, Code::Unprocessable_Entity, "Body must be a JSON object");
        return std::nullopt;
    }
    return body;
}

void add_account_routes(fauth::http::Api& api, const Auth& auth, std::shared_ptr<Store> store, Mailer mailer) {
    const std::string base = "/api/v1/auth";
    const auto& sink = auth.config().tokens.metrics;
    mailer = counted(std::move(mailer), fauth::Instrument(sink, kMails));
    const fauth::Instrument registrations(sink, kRegistrations);
    const auto& http = api.config();  // the api outlives its routes
    const auto accepted = json{{"202", detail_doc(kCheckYourMail)},
                               {"413", detail_doc("Request body too large")},
                               {"415", detail_doc("Not JSON")},
                               {"422", detail_doc("A member is missing or invalid")},
                               {"429", detail_doc("Too many requests from this client or for this address; see Retry-After")}};

    // Registration answers the same 202 whether or not the address is taken, after the same
    // bcrypt work: a new address gets a verification mail, a taken one a mail saying so with a
    // password-reset token (the owner's way forward). Unverified users cannot log in, so nobody
    // learns from a login either. Mail about an account goes to the address stored for it, never
    // to the request's spelling: that reset token is the owner's alone.
    api.post(
        base + "/register",
        [&auth, &http, store, mailer, registrations](const Request& request, ResponseWriter w) {
            mail_request(auth, http, request, std::move(w), "register", registration_problem,
                         [&auth, store, mailer, registrations](const json& body, Writer writer) {
                             auth.hash_password_async(body["password"].get<std::string>())
                                 .then(
                                     [&auth, store, mailer, registrations, writer,
                                      email = body["email"].get<std::string>()](const std::string& hash) {
                                         try {
                                             auto existing = store->user_by_email(email);
                                             if (!existing) {
                                                 try {
                                                     const auto user = store->add_user(email, hash, {}, /*verified=*/false);
                                                     mailer({user.email, "Confirm your address",
                                                             auth.create_email_verification_token(user, user.email)});
                                                 } catch (const DuplicateEmail&) {
                                                     existing = store->user_by_email(email);  // registered meanwhile
                                                 }
                                             }
                                             registrations.add();
                                             if (existing && existing->is_active)
                                                 mailer({existing->email,
                                                         "This address is already registered: reset your password if it was you",
                                                         auth.create_password_reset_token(*existing)});
                                             fauth::http::send_detail(*writer, Code::Accepted, kCheckYourMail);
                                         } catch (...) {
                                             fauth::http::send_exception(*writer, std::current_exception(), false, {});
                                         }
                                     },
                                     [writer](std::exception_ptr e) { fauth::http::send_exception(*writer, e, false, {}); });
                         });
        },
        {.summary = "Register with email and password",
         .description = "Answers 202 whether or not the address is registered; the mail says what next. The account can log in "
                        "once the address is verified.",
         .tags = {"Auth"},
         .request_body = body_doc({"email", "password"}),
         .responses = accepted});

    api.post(
        base + "/request-verify-token",
        mail_endpoint(auth, http, store, mailer,
                      [&auth](const User& user) -> std::optional<Mail> {
                          if (user.is_verified) return std::nullopt;
                          return Mail{user.email, "Confirm your address", auth.create_email_verification_token(user, user.email)};
                      }),
        {.summary = "Send the address verification mail again",
         .tags = {"Auth"},
         .request_body = body_doc({"email"}),
         .responses = accepted});

    api.post(base + "/verify",
             [&auth, store](const Request& request, ResponseWriter w) {
                 const auto body = json_body(request, w);
                 if (!body) return;
                 const auto token = body->find("token");
                 if (token == body->end() || !token->is_string())
                     return fauth::http::send_detail(w, Code::Unprocessable_Entity, "token is required");
                 try {
                     const auto payload = auth.verify(token->get<std::string>(), fauth::TokenType::email_verification);
                     const auto* claim = payload.claim("email");
                     const auto email = claim != nullptr && claim->is_string() ? claim->get<std::string>() : std::string();
                     if (!store->verify_email(payload.sub, email))
                         return fauth::http::send_detail(w, Code::Bad_Request, kBadToken);
                     fauth::http::send_detail(w, Code::Ok, "Email verified");
                 } catch (...) {
                     refuse_token(w, std::current_exception());
                 }
             },
             {.summary = "Verify the address with the mailed token",
              .tags = {"Auth"},
              .request_body = body_doc({"token"}),
              .responses = {{"200", detail_doc("Email verified")},
                            {"400", detail_doc(kBadToken)},
                            {"422", detail_doc("No token")}}});

    api.post(base + "/forgot-password",
             mail_endpoint(auth, http, store, mailer,
                           [&auth](const User& user) -> std::optional<Mail> {
                               return Mail{user.email, "Reset your password", auth.create_password_reset_token(user)};
                           }),
             {.summary = "Mail a password-reset token",
              .description = "Answers 202 whether or not the address is registered.",
              .tags = {"Auth"},
              .request_body = body_doc({"email"}),
              .responses = accepted});

    // The reset token is bound to the password hash it was made under and the hash is replaced
    // only if still that one: a token works once. Every session and API key of the user ends; the mailed
    // token proved the address, so it counts as verified from now on.
    api.post(base + "/reset-password",
             [&auth, store](const Request& request, ResponseWriter w) {
                 const auto body = json_body(request, w);
                 if (!body) return;
                 const auto token = body->find("token");
                 if (token == body->end() || !token->is_string())
                     return fauth::http::send_detail(w, Code::Unprocessable_Entity, "token is required");
                 if (const auto problem = password_problem(*body); !problem.empty())
                     return fauth::http::send_detail(w, Code::Unprocessable_Entity, problem);
                 auto writer = std::make_shared<ResponseWriter>(std::move(w));
                 auth.verify_password_reset_token(token->get<std::string>())
                     .then(
                         [&auth, store, writer, password = (*body)["password"].get<std::string>()](const User& user) {
                             auth.hash_password_async(password).then(
                                 [&auth, store, writer, user](const std::string& hash) {
                                     try {
                                         if (!store->set_password(user.id, user.hashed_password, hash, /*verified=*/true))
                                             return fauth::http::send_detail(*writer, Code::Bad_Request, kBadToken);
                                         store->revoke_api_keys_of(
                                             user.id);  // a reset says the account was lost: so are its keys
                                         auth.revoke_all(user.id)
                                             .then([writer] { fauth::http::send_detail(*writer, Code::Ok, "Password changed"); },
                                                   [writer](std::exception_ptr e) {
                                                       fauth::http::send_exception(*writer, e, false, {});
                                                   });
                                     } catch (...) {
                                         fauth::http::send_exception(*writer, std::current_exception(), false, {});
                                     }
                                 },
                                 [writer](std::exception_ptr e) { fauth::http::send_exception(*writer, e, false, {}); });
                         },
                         [writer](std::exception_ptr e) { refuse_token(*writer, e); });
             },
             {.summary = "Set a new password with the mailed token",
              .description = "Ends every session of the user and revokes every API key of theirs.",
              .tags = {"Auth"},
              .request_body = body_doc({"token", "password"}),
              .responses = {{"200", detail_doc("Password changed")},
                            {"400", detail_doc(kBadToken)},
                            {"422", detail_doc("A member is missing or invalid")}}});

    // Change password: the old one proves the caller; every session of the user ends, and the
    // caller gets a new pair (as cookies when the request came by cookie).
    api.post(
        base + "/change-password",
        auth.require_user([&auth, &http, store](const Request& request, ResponseWriter w, const fauth::Principal<User>& caller) {
            const User& user = caller.user;
            const auto body = json_body(request, w);
            if (!body) return;
            const auto old_password = body->find("old_password");
            if (old_password == body->end() || !old_password->is_string())
                return fauth::http::send_detail(w, Code::Unprocessable_Entity, "old_password is required");
            if (const auto problem = password_problem(*body, "new_password"); !problem.empty())
                return fauth::http::send_detail(w, Code::Unprocessable_Entity, problem);
            const auto by_cookie = caller.scheme == fauth::Scheme::cookie;
            const auto delivery = by_cookie ? fauth::http::TokenDelivery::cookies : fauth::http::TokenDelivery::body;
            auto writer = std::make_shared<ResponseWriter>(std::move(w));
            auto fail = [writer](std::exception_ptr e) { fauth::http::send_exception(*writer, e, false, {}); };
            // The new session is listed as one of this device's (GET /api/v1/auth/sessions).
            fauth::SessionDevice device{client_of(http, request), fauth::http::user_agent_of(request), {}, {}, {}};
            throttled(
                auth, writer, {{"change-password:" + user.id, kPasswordChecksPerUser}},
                [&auth, &http, store, writer, fail, delivery, email = user.email, old = old_password->get<std::string>(),
                 replacement = (*body)["new_password"].get<std::string>(), device = std::move(device)] {
                    auth.authenticate(email, old)
                        .then(
                            [&auth, &http, store, writer, fail, delivery, replacement, device](const User& checked) {
                                auth.hash_password_async(replacement)
                                    .then(
                                        [&auth, &http, store, writer, fail, delivery, checked, device](const std::string& hash) {
                                            try {
                                                if (!store->set_password(checked.id, checked.hashed_password, hash, false))
                                                    return fauth::http::send_detail(*writer, Code::Conflict,
                                                                                    "The password was changed meanwhile");
                                                auto updated = checked;
                                                updated.hashed_password = hash;
                                                auth.revoke_all(checked.id)
                                                    .then(
                                                        [&auth, &http, writer, delivery, device, updated = std::move(updated)] {
                                                            auth.engine()
                                                                .after(auth.open_session(updated, fauth::Engine::Proof::password,
                                                                                         device),
                                                                       [&auth, &http, writer,
                                                                        delivery](fauth::Result<fauth::TokenResponse> tokens) {
                                                                           if (!tokens)
                                                                               return fauth::http::send_failure(*writer,
                                                                                                                tokens.failure(),
                                                                                                                false, {});
                                                                           fauth::http::send_tokens(*writer, *tokens, delivery,
                                                                                                    http.cookies, auth.tokens());
                                                                       });
                                                        },
                                                        fail);
                                            } catch (...) {
                                                fail(std::current_exception());
                                            }
                                        },
                                        fail);
                            },
                            [writer](std::exception_ptr e) {
                                const auto failure = fauth::failure_of(std::move(e), "authenticate");
                                if (failure.kind == fauth::ErrorKind::invalid_credentials)
                                    return fauth::http::send_detail(*writer, Code::Bad_Request, "Old password is incorrect");
                                fauth::http::send_failure(*writer, failure, false, {});
                            });
                });
        }),
        {.summary = "Change my password",
         .description = "Ends every session of the user, this one included, and answers a new token pair.",
         .tags = {"Auth"},
         .request_body = body_doc({"old_password", "new_password"}),
         .responses = {{"200",
                        {{"description", "A new token pair (or session cookies)"},
                         {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/TokenResponse"}}}}}}}}},
                       {"400", detail_doc("Old password is incorrect")},
                       {"409", detail_doc("The password was changed meanwhile")},
                       {"422", detail_doc("A member is missing or invalid")},
                       {"429", detail_doc("Too many wrong old passwords; see Retry-After")}}});

    api.post(base + "/session", fauth::http::login_endpoint(auth, fauth::http::TokenDelivery::cookies),
             {.summary = "Log in a browser: session cookies", .tags = {"Auth"}});
}

}  // namespace notes
