/// @file
/// fauth/http/passkeys.hpp — passkey routes over JSON (AuthConfig::passkeys): registration by a
/// signed-in user, a sign-in without a user name (discoverable credentials), and listing,
/// renaming and removing one's passkeys. The bodies are WebAuthn's JSON forms (what
/// `PublicKeyCredential.toJSON()` gives; binary members base64url).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/auth/provider.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/http/api.hpp"
#include "fauth/http/client_address.hpp"
#include "fauth/http/cookies.hpp"
#include "fauth/http/events.hpp"
#include "fauth/http/login.hpp"
#include "fauth/http/response.hpp"
#include "fauth/http/second_factor.hpp"
#include "fauth/http/token_request.hpp"

namespace fauth::http {

/// A registration response as a page posts it: {"name": "...", "credential": {"id", "rawId",
/// "type": "public-key", "response": {"clientDataJSON", "attestationObject"}}}, decoded.
struct PasskeyRegistrationRequest {
    /// The name the user gave it (may be empty).
    std::string name;
    /// clientDataJSON, raw.
    std::string client_data_json;
    /// attestationObject, raw.
    std::string attestation_object;
};

/// A sign-in's assertion as a page posts it: {"id", "rawId", "type": "public-key", "response":
/// {"clientDataJSON", "authenticatorData", "signature", "userHandle"}}, decoded.
struct PasskeyAssertionRequest {
    /// The credential id (rawId), raw.
    std::string credential_id;
    /// clientDataJSON, raw.
    std::string client_data_json;
    /// authenticatorData, raw.
    std::string authenticator_data;
    /// signature, raw.
    std::string signature;
    /// userHandle, raw; empty when not sent.
    std::string user_handle;
};

/// Reads a registration body (JSON only: 415 otherwise; 422 for a member missing, of the wrong
/// type or not base64url, or id and rawId that differ).
std::variant<PasskeyRegistrationRequest, RequestError> parse_passkey_registration(std::string_view content_type,
                                                                                  std::string_view body);
/// Reads a sign-in body likewise.
std::variant<PasskeyAssertionRequest, RequestError> parse_passkey_assertion(std::string_view content_type, std::string_view body);

/// PublicKeyCredentialCreationOptionsJSON for `start`, the user's name and display name, under `settings`:
/// resident key and user verification required, attestation none, every configured algorithm.
nlohmann::json passkey_creation_options(const PasskeySettings& settings, const PasskeyRegistrationStart& start,
                                        std::string_view user_name);
/// PublicKeyCredentialRequestOptionsJSON for a sign-in `challenge`: no allowCredentials (any
/// discoverable passkey of this site), user verification required.
nlohmann::json passkey_request_options(const PasskeySettings& settings, std::string_view challenge);
/// A passkey as the list shows it: {"id" (base64url), "name", "created_at", "last_used_at",
/// "backed_up", "algorithm"}.
nlohmann::json passkey_json(const Passkey& passkey);
/// The OpenAPI descriptions of add_passkey_routes' routes, in its order.
std::vector<RouteDoc> passkey_route_docs(const std::string& tag, TokenDelivery delivery);

/// Where add_passkey_routes mounts its routes.
template <class User>
struct PasskeyRoutes {
    /// The routes' common path.
    std::string prefix = "/auth/passkeys";
    /// How a passkey sign-in's tokens are given: the body, or the session cookies (a page).
    TokenDelivery delivery = TokenDelivery::body;
    /// The user's name and display name the browser shows when registering (user_id when empty).
    std::function<std::string(const User&)> user_name;
    /// How long ago the session may have begun to register or remove a passkey (RFC 9470 max_age).
    /// A user who has a second factor already needs a session begun with two factors besides
    /// (when_factors_may_change).
    std::chrono::seconds max_age = std::chrono::minutes(15);
    /// The largest body the routes read (413 beyond): a registration with an RSA key and the
    /// members browsers add is a few KiB.
    std::size_t max_body_bytes = 16 * 1024;
    /// The OpenAPI tag of the routes.
    std::string tag = "Passkeys";
};

/// Mounts the passkey routes on `api` (JSON, never cached):
/// - POST `{prefix}/register/options` (a session begun within max_age): creation options for
///   `navigator.credentials.create`.
/// - POST `{prefix}/register` (signed in) with the registration response and a name: 201 and the
///   passkey; 401 "Invalid passkey" for a response that does not verify (challenge, origin, rpId,
///   flags, signature, attestation), 400 for too many or one registered already.
/// - POST `{prefix}/login/options` (open): request options for `navigator.credentials.get`.
/// - POST `{prefix}/login` (open, throttled per client as logins are) with the assertion: the
///   session (Engine::Proof::passkey, or synced_passkey for a backed-up one: amr hwk or swk, mfa,
///   user; acr kAcrTwoFactors; origin "passkey"), its tokens in the body or the cookies; 401
///   "Invalid passkey" (an unknown credential, a challenge used or expired, a counter that did
///   not grow, ...), 403 for an inactive user. Reported as login_success or login_failure.
/// - GET `{prefix}` (signed in): the user's passkeys; PATCH `{prefix}/:id` with {"name"} renames
///   one (204, 404); DELETE `{prefix}/:id` (a session begun within max_age) removes one (204, 404).
/// ConfigError without AuthConfig::passkeys.store, or for cookie delivery without cookies.
template <class User>
void add_passkey_routes(Api& api, const AuthProvider<User>& auth, PasskeyRoutes<User> routes = {}) {
    using Pistache::Http::Code;
    using Pistache::Http::ResponseWriter;
    using Pistache::Rest::Request;
    const auto* keys = auth.engine().passkeys();
    if (keys == nullptr) throw ConfigError("add_passkey_routes: set AuthConfig::passkeys.store");
    if (routes.delivery == TokenDelivery::cookies && !api.config().cookies.accepts_cookie())
        throw ConfigError("add_passkey_routes: cookie delivery needs HttpConfig.cookies.transport to accept cookies");
    const auto docs = passkey_route_docs(routes.tag, routes.delivery);
    const auto& engine = auth.engine();
    const auto& passkeys = *keys;
    const auto http = std::make_shared<const HttpConfig>(api.config());
    auto name_of = std::make_shared<const std::function<std::string(const User&)>>(std::move(routes.user_name));
    const auto max_body = routes.max_body_bytes;
    const auto body_of = [max_body](const Request& request, ResponseWriter& writer) -> std::optional<std::string> {
        if (request.body().size() > max_body) {
            send_detail(writer, Code::Request_Entity_Too_Large, "Request body too large");
            return std::nullopt;
        }
        const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
        return type ? type->mime().toString() : std::string();
    };

    api.post(routes.prefix + "/register/options",
             auth.require(Rule::authenticated_within(routes.max_age),
                          [&engine, &passkeys, name_of](const Request&, ResponseWriter w, const Principal<User>& caller) {
                              auto writer = std::make_shared<ResponseWriter>(std::move(w));
                              const auto name = *name_of ? (*name_of)(caller.user) : user_id(caller.user);
                              const auto sub = user_id(caller.user);
                              when_factors_may_change(engine, caller.token, sub, writer, [&engine, &passkeys, writer, sub, name] {
                                  answer_json(engine, passkeys.start_registration(sub), writer,
                                              [&passkeys, name](const PasskeyRegistrationStart& start) {
                                                  return passkey_creation_options(passkeys.settings(), start, name);
                                              });
                              });
                          }),
             docs[0]);
    api.post(routes.prefix + "/register",
             auth.require(Rule::authenticated_within(routes.max_age),
                          [&engine, &passkeys, body_of](const Request& request, ResponseWriter w, const Principal<User>& caller) {
                              auto writer = std::make_shared<ResponseWriter>(std::move(w));
                              const auto type = body_of(request, *writer);
                              if (!type) return;
                              auto parsed = parse_passkey_registration(*type, request.body());
                              if (const auto* error = std::get_if<RequestError>(&parsed))
                                  return send_detail(*writer, static_cast<Code>(error->status), error->detail);
                              auto r = std::make_shared<PasskeyRegistrationRequest>(
                                  std::get<PasskeyRegistrationRequest>(std::move(parsed)));
                              const auto sub = user_id(caller.user);
                              when_factors_may_change(engine, caller.token, sub, writer, [&engine, &passkeys, writer, sub, r] {
                                  answer_json(
                                      engine,
                                      passkeys.finish_registration(sub, std::move(r->client_data_json),
                                                                   std::move(r->attestation_object), std::move(r->name)),
                                      writer, [](const Passkey& p) { return passkey_json(p); }, Code::Created);
                              });
                          }),
             docs[1]);
    api.post(routes.prefix + "/login/options", Endpoint([&passkeys](const Request&, ResponseWriter writer) {
                 writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
                 send_json(writer, Code::Ok, passkey_request_options(passkeys.settings(), passkeys.start_sign_in()));
             }),
             docs[2]);
    const auto delivery = routes.delivery;
    api.post(routes.prefix + "/login",
             Endpoint(Endpoint::guard_exceptions(
                 [&auth, &passkeys, http, delivery, body_of](const Request& request, ResponseWriter w) {
                     const auto type = body_of(request, w);
                     if (!type) return;
                     if (delivery == TokenDelivery::cookies && is_foreign_origin(request, http->cookies))
                         return send_error(w, Forbidden("Origin not allowed"), {}, auth.config().tokens.log);
                     auto parsed = parse_passkey_assertion(*type, request.body());
                     if (const auto* error = std::get_if<RequestError>(&parsed))
                         return send_detail(w, static_cast<Code>(error->status), error->detail);
                     auto a = std::get<PasskeyAssertionRequest>(std::move(parsed));
                     auto event = request_event(SecurityEventType::login_failure, request, *http);
                     event.identifier = "passkey";
                     event.reason = "passkey";
                     auto client = throttle_client(event.client, http->ipv6_client_prefix);
                     auto attempt = std::make_shared<SignInAttempt>(
                         SignInAttempt{std::move(w), std::move(event), std::move(client), user_agent_of(request), {}});
                     const auto refuse = [&auth](const std::shared_ptr<SignInAttempt>& at, const Failure& why) {
                         refuse_attempt(auth.engine(), *at, why);
                     };
                     auto counted =
                         auth.engine().throttle().hit(instruments::throttle_key(instruments::ThrottleBucket::login_client,
                                                                                attempt->client),
                                                      auth.config().login_limits.per_client);
                     auth.engine().after(std::move(counted), [&auth, &passkeys, delivery, http, attempt, refuse,
                                                              a = std::move(a)](Result<ThrottleDecision> d) mutable {
                         if (!d) return refuse(attempt, std::move(d).failure());
                         if (!d->allowed) {
                             attempt->event.type = SecurityEventType::throttled;
                             auth.config().report(attempt->event);
                             return send_too_many_requests(attempt->writer, static_cast<long>(d->retry_after.count()));
                         }
                         auto checked = passkeys.finish_sign_in(std::move(a.credential_id), std::move(a.client_data_json),
                                                                std::move(a.authenticator_data), std::move(a.signature),
                                                                std::move(a.user_handle));
                         auth.engine().after(std::move(checked), [&auth, delivery, http, attempt,
                                                                  refuse](Result<Passkey> passkey) {
                             if (!passkey) return refuse(attempt, std::move(passkey).failure());
                             attempt->event.subject = passkey->sub;
                             const auto proof =
                                 passkey->credential.backup_eligible ? Engine::Proof::synced_passkey : Engine::Proof::passkey;
                             auth.load_subject(passkey->sub)
                                 .then(
                                     [&auth, delivery, http, attempt, proof](const User& user) {
                                         finish_sign_in(auth, attempt, user, proof, "passkey", delivery, http);
                                     },
                                     [attempt, refuse](std::exception_ptr failure) {
                                         refuse(attempt, failure_of(std::move(failure), "passkey login"));
                                     });
                         });
                     });
                 },
                 auth.config().tokens.log)),
             docs[3]);
    api.get(routes.prefix, auth.require_user([&engine, &passkeys](const Request&, ResponseWriter w, const User& user) {
        auto writer = std::make_shared<ResponseWriter>(std::move(w));
        answer_json(engine, passkeys.list(user_id(user)), writer, [](const std::vector<Passkey>& list) {
            auto out = nlohmann::json::array();
            for (const auto& p : list) out.push_back(passkey_json(p));
            return out;
        });
    }),
            docs[4]);
    // The id in the path is the credential id, base64url; one that does not decode names no passkey.
    const auto answer_found = [&engine](std::shared_ptr<ResponseWriter> writer, Outcome<bool> done) {
        engine.after(std::move(done), [writer, &engine](Result<bool> found) {
            if (!found) return send_failure(*writer, found.failure(), {}, engine.config().tokens.log);
            if (!*found) return send_detail(*writer, Code::Not_Found, "Passkey not found");
            writer->send(Code::No_Content);
        });
    };
    api.patch(routes.prefix + "/:id",
              auth.require_user([&passkeys, body_of, answer_found](const Request& request, ResponseWriter w, const User& user) {
                  auto writer = std::make_shared<ResponseWriter>(std::move(w));
                  if (!body_of(request, *writer)) return;
                  const auto body = nlohmann::json::parse(request.body(), nullptr, false);
                  if (!body.is_object() || !body.contains("name") || !body["name"].is_string())
                      return send_detail(*writer, Code::Unprocessable_Entity, "name is required and must be a string");
                  std::string id;
                  if (!base64url_decode(request.param(":id").as<std::string>(), id))
                      return send_detail(*writer, Code::Not_Found, "Passkey not found");
                  answer_found(writer, passkeys.rename(user_id(user), std::move(id), body["name"].get<std::string>()));
              }),
              docs[5]);
    api.del(routes.prefix + "/:id",
            auth.require(Rule::authenticated_within(routes.max_age),
                         [&engine, &passkeys, answer_found](const Request& request, ResponseWriter w,
                                                            const Principal<User>& caller) {
                             auto writer = std::make_shared<ResponseWriter>(std::move(w));
                             auto id = std::make_shared<std::string>();
                             if (!base64url_decode(request.param(":id").as<std::string>(), *id))
                                 return send_detail(*writer, Code::Not_Found, "Passkey not found");
                             const auto sub = user_id(caller.user);
                             when_factors_may_change(engine, caller.token, sub, writer,
                                                     [&passkeys, answer_found, writer, sub, id] {
                                                         answer_found(writer, passkeys.remove(sub, std::move(*id)));
                                                     });
                         }),
            docs[6]);
}

}  // namespace fauth::http
