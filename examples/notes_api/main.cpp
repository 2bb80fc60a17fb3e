// examples/notes_api — fauth on a real database: users in SQLite with registration, per-user
// notes, an admin route, and bcrypt hashes upgraded on login. Routes as PolePosition's auth
// workflow generates them:
//   POST   /api/v1/auth/register   {"email", "password"}        201 {"id", "email"}; 409 if taken
//   POST   /api/v1/auth/token      form login (OAuth2 password)  TokenResponse
//   GET    /api/v1/auth/me         any active user               {"id", "email", "roles"}
//   POST   /api/v1/auth/refresh    {"refresh_token"}             TokenResponse
//   POST   /api/v1/auth/logout     bearer                        204
//   GET    /api/v1/notes           the caller's notes
//   POST   /api/v1/notes           {"title", "body"}             201 note
//   GET    /api/v1/notes/{id}      the caller's note, else 404 (never 403: ids do not leak)
//   PUT    /api/v1/notes/{id}      {"title", "body"}             note, else 404
//   DELETE /api/v1/notes/{id}                                    204, else 404
//   GET    /api/v1/admin/users     role admin                    [{"id", "email", "roles", "is_active"}]
// Environment: HOST (127.0.0.1), PORT (8000), FAUTH_DB (./notes.db), FAUTH_SECRET_KEY (random when
// unset), FAUTH_BCRYPT_COST (12), FAUTH_THREADS (2).
#include <cstdlib>
#include <iostream>
#include <charconv>

#include <fauth/http.hpp>

#include "store.hpp"
#include "validation.hpp"

namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;
using notes::Note;
using notes::User;

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

nlohmann::json to_json(const Note& n) {
    return {{"id", n.id}, {"title", n.title}, {"body", n.body}, {"created_at", n.created_at}, {"updated_at", n.updated_at}};
}

// The JSON object body of `request`, or an answer (415, 413 or 422) and nothing.
std::optional<nlohmann::json> json_body(const Request& request, ResponseWriter& writer) {
    const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
    if (!type || type->mime().toString().rfind("application/json", 0) != 0) {
        fauth::http::send_detail(writer, Code::Unsupported_Media_Type, "Content-Type must be application/json");
        return std::nullopt;
    }
    if (request.body().size() > notes::kMaxBodyBytes) {
        fauth::http::send_detail(writer, Code::Request_Entity_Too_Large, "Request body too large");
        return std::nullopt;
    }
    auto body = nlohmann::json::parse(request.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        fauth::http::send_detail(writer, Code::Unprocessable_Entity, "Body must be a JSON object");
        return std::nullopt;
    }
    return body;
}

// The note id in the path, or nothing (then the caller answers 404).
std::optional<std::int64_t> note_id(const Request& request) {
    const auto text = request.param(":id").as<std::string>();
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
    return id;
}

}  // namespace

int main() try {
    fauth::http::block_shutdown_signals();
    auto store = std::make_shared<notes::Store>(env_or("FAUTH_DB", "./notes.db"));

    fauth::AuthConfig config;
    config.secret_key = env_or("FAUTH_SECRET_KEY", fauth::random_id() + fauth::random_id());
    config.token_url = "/api/v1/auth/token";
    config.bcrypt_cost = std::stoi(env_or("FAUTH_BCRYPT_COST", "12"));
    fauth::AuthProvider<User> auth{
        config,
        [store](const fauth::TokenPayload& p) { return store->user_by_id(p.sub); },
        [store](std::string_view email) { return store->user_by_email(std::string(email)); }};
    // Hashes made at a lower cost are upgraded at the next login, unless changed meanwhile.
    auth.on_rehash([store](const User& user, const std::string& old_hash, const std::string& new_hash) {
        store->upgrade_hash(user.id, old_hash, new_hash);
    });

    Pistache::Rest::Router router;
    fauth::http::Api api{router, auth};
    const fauth::http::RouteDoc auth_doc{.tags = {"Auth"}};

    api.post("/api/v1/auth/register", [store, &auth](const Request& request, ResponseWriter writer) {
        const auto body = json_body(request, writer);
        if (!body) return;
        const auto problem = notes::registration_problem(*body);
        if (!problem.empty()) return fauth::http::send_detail(writer, Code::Unprocessable_Entity, problem);
        const auto email = (*body)["email"].get<std::string>();
        if (store->user_by_email(email)) return fauth::http::send_detail(writer, Code::Conflict, "Email already registered");
        auto pending = std::make_shared<ResponseWriter>(std::move(writer));
        auth.hash_password_async((*body)["password"].get<std::string>())
            .then(
                [store, pending, email](const std::string& hash) {
                    try {
                        const auto user = store->add_user(email, hash);
                        fauth::http::send_json(*pending, Code::Created, {{"id", user.id}, {"email", user.email}});
                    } catch (const notes::DuplicateEmail&) {
                        fauth::http::send_detail(*pending, Code::Conflict, "Email already registered");
                    } catch (...) {
                        fauth::http::send_exception(*pending, std::current_exception(), false, {});
                    }
                },
                [pending](std::exception_ptr e) { fauth::http::send_exception(*pending, e, false, {}); });
    }, {.summary = "Register with email and password", .tags = {"Auth"}});
    api.post("/api/v1/auth/token", fauth::http::login_endpoint(auth));
    api.post("/api/v1/auth/refresh", fauth::http::refresh_endpoint(auth));
    api.post("/api/v1/auth/logout", fauth::http::logout_endpoint(auth));
    api.get("/api/v1/auth/me", auth.require_user([](const Request&, ResponseWriter w, const User& u) {
        fauth::http::send_json(w, Code::Ok, {{"id", u.id}, {"email", u.email}, {"roles", u.roles}});
    }), {.summary = "The current user", .tags = {"Auth"}});

    fauth::http::SecureRouter<User> notes_routes{api, auth, {.prefix = "/api/v1/notes", .tags = {"Notes"}}};
    notes_routes.get("", [store](const Request&, ResponseWriter w, const User& u) {
        auto list = nlohmann::json::array();
        for (const auto& n : store->notes_of(u.id)) list.push_back(to_json(n));
        fauth::http::send_json(w, Code::Ok, list);
    }, {.doc = {.summary = "My notes"}});
    notes_routes.post("", [store](const Request& request, ResponseWriter w, const User& u) {
        const auto body = json_body(request, w);
        if (!body) return;
        if (const auto problem = notes::note_problem(*body); !problem.empty())
            return fauth::http::send_detail(w, Code::Unprocessable_Entity, problem);
        fauth::http::send_json(w, Code::Created,
                               to_json(store->add_note(u.id, (*body)["title"].get<std::string>(), (*body).value("body", ""))));
    }, {.doc = {.summary = "Add a note"}});
    notes_routes.get("/:id", [store](const Request& request, ResponseWriter w, const User& u) {
        const auto id = note_id(request);
        const auto found = id ? store->note(u.id, *id) : std::nullopt;
        if (!found) return fauth::http::send_detail(w, Code::Not_Found, "Note not found");
        fauth::http::send_json(w, Code::Ok, to_json(*found));
    }, {.doc = {.summary = "One of my notes"}});
    notes_routes.put("/:id", [store](const Request& request, ResponseWriter w, const User& u) {
        const auto id = note_id(request);
        if (!id) return fauth::http::send_detail(w, Code::Not_Found, "Note not found");
        const auto body = json_body(request, w);
        if (!body) return;
        if (const auto problem = notes::note_problem(*body); !problem.empty())
            return fauth::http::send_detail(w, Code::Unprocessable_Entity, problem);
        const auto updated = store->update_note(u.id, *id, (*body)["title"].get<std::string>(), (*body).value("body", ""));
        if (!updated) return fauth::http::send_detail(w, Code::Not_Found, "Note not found");
        fauth::http::send_json(w, Code::Ok, to_json(*updated));
    }, {.doc = {.summary = "Change one of my notes"}});
    notes_routes.del("/:id", [store](const Request& request, ResponseWriter w, const User& u) {
        const auto id = note_id(request);
        if (!id || !store->delete_note(u.id, *id)) return fauth::http::send_detail(w, Code::Not_Found, "Note not found");
        w.send(Code::No_Content);
    }, {.doc = {.summary = "Delete one of my notes"}});

    api.get("/api/v1/admin/users", auth.require_roles({"admin"}, [store](const Request&, ResponseWriter w, const User&) {
        auto list = nlohmann::json::array();
        for (const auto& u : store->users())
            list.push_back({{"id", u.id}, {"email", u.email}, {"roles", u.roles}, {"is_active", u.is_active}});
        fauth::http::send_json(w, Code::Ok, list);
    }), {.summary = "Every user", .tags = {"Admin"}});
    api.serve_openapi("/openapi.json", {.title = "fauth notes", .version = "1.0.0"});

    const std::string host = env_or("HOST", "127.0.0.1");
    fauth::http::Server server{api, {.host = host,
                                     .port = static_cast<std::uint16_t>(std::stoi(env_or("PORT", "8000"))),
                                     .threads = std::stoi(env_or("FAUTH_THREADS", "2"))}};
    std::cout << "fauth notes listening on http://" << host << ":" << server.start() << std::endl;
    fauth::http::wait_for_shutdown_signal();
    server.stop();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "fauth-notes: " << e.what() << std::endl;
    return 1;
}
