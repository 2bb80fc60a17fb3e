#include "sessions.hpp"

#include <fauth/core/clock.hpp>

namespace notes {
namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;

nlohmann::json session_json(const fauth::SessionRecord& s, const std::string& current) {
    return {{"id", s.id},
            {"started_at", fauth::second_of(s.started_us)},
            {"last_refreshed_at", fauth::second_of(s.refreshed_us)},
            {"client", s.client},
            {"user_agent", s.user_agent},
            {"label", s.label},
            {"origin", s.origin},
            {"current", s.id == current}};
}

// The family of the caller's token: the session it belongs to.
std::string current_session(const fauth::Principal<User>& caller) {
    return caller.token != nullptr ? caller.token->family.str() : std::string();
}

nlohmann::json detail_doc(const char* description) { return fauth::http::error_response_doc(description); }

}  // namespace

void add_session_routes(fauth::http::Api& api, const Auth& auth, std::shared_ptr<Store> store) {
    const auto session_schema =
        nlohmann::json{{"type", "object"},
                       {"properties",
                        {{"id", {{"type", "string"}}},
                         {"started_at", {{"type", "integer"}, {"description", "Unix seconds"}}},
                         {"last_refreshed_at", {{"type", "integer"}, {"description", "Unix seconds"}}},
                         {"client", {{"type", "string"}, {"description", "The client address of the last login or refresh"}}},
                         {"user_agent", {{"type", "string"}}},
                         {"label", {{"type", "string"}}},
                         {"origin", {{"type", "string"}, {"description", "How it began: password, oidc:<provider>, app"}}},
                         {"current", {{"type", "boolean"}, {"description", "The session of the token that asks"}}}}}};
    api.get("/api/v1/auth/sessions",
            auth.require_user([&auth](const Request&, ResponseWriter w, const fauth::Principal<User>& caller) {
                auto writer = std::make_shared<ResponseWriter>(std::move(w));
                auth.sessions(caller.user.id)
                    .then(
                        [writer, current = current_session(caller)](const std::vector<fauth::SessionRecord>& sessions) {
                            auto list = nlohmann::json::array();
                            for (const auto& s : sessions) list.push_back(session_json(s, current));
                            fauth::http::send_json(*writer, Code::Ok, list);
                        },
                        [writer](std::exception_ptr e) { fauth::http::send_exception(*writer, e, false, {}); });
            }),
            {.summary = "My sessions",
             .description = "Each device or browser that logged in and has not logged out, the most recently refreshed "
                            "first. At most 1000 are kept per user: a login beyond that ends the least recently "
                            "refreshed one.",
             .tags = {"Sessions"},
             .responses = {
                 {"200",
                  {{"description", "The sessions"},
                   {"content", {{"application/json", {{"schema", {{"type", "array"}, {"items", session_schema}}}}}}}}}}});
    api.del("/api/v1/auth/sessions/:id",
            auth.require_user([&auth](const Request& request, ResponseWriter w, const fauth::Principal<User>& caller) {
                auto writer = std::make_shared<ResponseWriter>(std::move(w));
                auth.end_session(caller.user.id, request.param(":id").as<std::string>())
                    .then(
                        [writer](bool ended) {
                            if (!ended) return fauth::http::send_detail(*writer, Code::Not_Found, "Session not found");
                            writer->send(Code::No_Content);
                        },
                        [writer](std::exception_ptr e) { fauth::http::send_exception(*writer, e, false, {}); });
            }),
            {.summary = "End one of my sessions",
             .description = "Its tokens stop working at once, on every server sharing the revocation store.",
             .tags = {"Sessions"},
             .responses = {{"204", {{"description", "Ended"}}}, {"404", detail_doc("Session not found")}}});
    api.del("/api/v1/auth/sessions",
            auth.require_user([&auth](const Request&, ResponseWriter w, const fauth::Principal<User>& caller) {
                auto writer = std::make_shared<ResponseWriter>(std::move(w));
                auth.end_other_sessions(caller.user.id, current_session(caller))
                    .then([writer](std::size_t) { writer->send(Code::No_Content); },
                          [writer](std::exception_ptr e) { fauth::http::send_exception(*writer, e, false, {}); });
            }),
            {.summary = "Sign out everywhere else",
             .description = "Ends every session of mine but the one of the token that asks.",
             .tags = {"Sessions"},
             .responses = {{"204", {{"description", "Ended"}}}}});
    api.del("/api/v1/admin/users/:id/sessions",
            auth.require_roles({"admin"},
                               [&auth, store](const Request& request, ResponseWriter w, const User&) {
                                   const auto id = request.param(":id").as<std::string>();
                                   if (!store->user_by_id(id))
                                       return fauth::http::send_detail(w, Code::Not_Found, "User not found");
                                   auto writer = std::make_shared<ResponseWriter>(std::move(w));
                                   auth.revoke_all(id).then([writer] { writer->send(Code::No_Content); },
                                                            [writer](std::exception_ptr e) {
                                                                fauth::http::send_exception(*writer, e, false, {});
                                                            });
                               }),
            {.summary = "End every session of a user",
             .description = "Every token the user holds stops working (revoke_all); API keys are not affected.",
             .tags = {"Admin"},
             .responses = {{"204", {{"description", "Ended"}}}, {"404", detail_doc("User not found")}}});
}

}  // namespace notes
