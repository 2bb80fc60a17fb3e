#include "keys.hpp"

#include <fauth/core/clock.hpp>

#include "validation.hpp"

namespace notes {
namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;

constexpr std::int64_t kTouchEverySeconds = 60;

nlohmann::json key_json(const fauth::ApiKey& k) {
    const auto optional = [](const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
    return {{"id", k.id},
            {"name", k.name},
            {"scopes", k.scopes},
            {"created_at", optional(k.created_at)},
            {"expires_at", optional(k.expires_at)},
            {"last_used_at", optional(k.last_used_at)},
            {"revoked", k.revoked}};
}

}  // namespace

void use_store_for_api_keys(Auth& auth, std::shared_ptr<Store> store) {
    auth.set_api_key_loader([store](const std::string& id) { return store->api_key(id); });
    auth.on_api_key_used([store](const fauth::ApiKey& key) {
        const auto now = fauth::unix_seconds();
        if (!key.last_used_at || now - *key.last_used_at >= kTouchEverySeconds) store->touch_api_key(key.id, now);
    });
}

void add_key_routes(fauth::http::Api& api, const Auth& auth, std::shared_ptr<Store> store) {
    const auto key_doc = nlohmann::json{{"description", "An API key"}};
    api.post(
        "/api/v1/keys", auth.require_fresh_user([store](const Request& request, ResponseWriter w, const User& u) {
            const auto body = json_body(request, w);
            if (!body) return;
            if (const auto problem = api_key_problem(*body); !problem.empty())
                return fauth::http::send_detail(w, Code::Unprocessable_Entity, problem);
            const auto days = body->find("expires_in_days");
            auto made = make_api_key(u.id, (*body)["name"].get<std::string>(), (*body)["scopes"].get<std::vector<std::string>>(),
                                     days == body->end() || days->is_null() ? 0 : days->get<int>());
            if (!store->add_api_key(made.record, kMaxLiveKeys))
                return fauth::http::send_detail(w, Code::Conflict, "Too many API keys; revoke one first");
            auto shown = key_json(made.record);
            shown["key"] = made.key;  // the only time it is ever shown
            fauth::http::send_json(w, Code::Created, shown);
        }),
        {.summary = "Make an API key (shown once)",
         .description = "Needs a token from a password login (not a refreshed one), so that a stolen session cannot make "
                        "itself a lasting key. A password reset revokes every key of the user; a password change does not.",
         .tags = {"API keys"},
         .request_body =
             {{"required", true},
              {"content",
               {{"application/json",
                 {{"schema",
                   {{"type", "object"},
                    {"required", {"name", "scopes"}},
                    {"properties",
                     {{"name", {{"type", "string"}, {"maxLength", kMaxKeyNameBytes}}},
                      {"scopes",
                       {{"type", "array"}, {"items", {{"type", "string"}, {"enum", {"notes:read", "notes:write", "notes:*"}}}}}},
                      {"expires_in_days", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxKeyDays}}}}}}}}}}}},
         .responses = {{"201", key_doc}}});
    api.get("/api/v1/keys", auth.require_user([store](const Request&, ResponseWriter w, const User& u) {
        auto list = nlohmann::json::array();
        for (const auto& k : store->api_keys(u.id)) list.push_back(key_json(k));
        fauth::http::send_json(w, Code::Ok, list);
    }),
            {.summary = "My API keys", .tags = {"API keys"}});
    api.del("/api/v1/keys/:id", auth.require_user([store](const Request& request, ResponseWriter w, const User& u) {
        if (!store->revoke_api_key(request.param(":id").as<std::string>(), u.id))
            return fauth::http::send_detail(w, Code::Not_Found, "API key not found");
        w.send(Code::No_Content);
    }),
            {.summary = "Revoke one of my API keys", .tags = {"API keys"}});
}

}  // namespace notes
