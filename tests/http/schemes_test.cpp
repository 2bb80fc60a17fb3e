// Several schemes on one route (a bearer token, an API key, the session cookie: the first present
// decides, bad credentials never fall through), API keys end to end, and rules over a Principal:
// a real provider behind a real Pistache server on loopback.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <fauth/http.hpp>
#include <fauth/testing.hpp>

using fauth::Scheme;
using fauth::testing::refused;
using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;

namespace {

struct Member {
    std::string id;
    std::string name;
    bool is_active = true;
    std::vector<std::string> roles;
};

// Users and keys in memory; the key loader answers at once, or later from a thread it owns.
class World {
public:
    explicit World(fauth::AuthConfig config = make_config(), bool async_keys = false)
        : auth(std::move(config), [this](const fauth::TokenPayload& p) { return member(p.sub); }) {
        members["m-1"] = {"m-1", "ada", true, {"staff"}};
        members["m-2"] = {"m-2", "bo", false, {}};
        if (async_keys)
            auth.set_api_key_loader([this](const std::string& id) { return later(id); });
        else
            auth.set_api_key_loader([this](const std::string& id) { return find_key(id); });
        auth.on_api_key_used([this](const fauth::ApiKey& key) {
            std::lock_guard lock(mutex);
            used.push_back(key.id);
            if (throwing_hook) throw std::runtime_error("last-used store down");
        });
    }
    ~World() {
        for (auto& t : threads) t.join();
    }

    static fauth::AuthConfig make_config() {
        fauth::AuthConfig c;
        c.tokens.secret_key = "schemes-test-secret-of-32-bytes!!";
        c.bcrypt_cost = 4;
        c.tokens.log = [](std::string_view line) { logged().push_back(std::string(line)); };
        return c;
    }
    static std::vector<std::string>& logged() {
        static std::vector<std::string> lines;  // the server's threads write; tests read after stopping it
        return lines;
    }

    // A new key for `owner` with `scopes`, stored as its hash only; returns the clear key.
    std::string add_key(const std::string& owner, std::vector<std::string> scopes, std::optional<std::int64_t> expires_at = {}) {
        auto made = auth.create_api_key();
        std::lock_guard lock(mutex);
        keys[made.id] = fauth::ApiKey{made.id, made.hash, owner, std::move(scopes), "test", expires_at, std::nullopt, false};
        return made.key;
    }
    void revoke(const std::string& key) {
        std::lock_guard lock(mutex);
        keys.at(std::string(*fauth::api_key_id(key, "fauth"))).revoked = true;
    }

    std::optional<Member> member(const std::string& id) {
        std::lock_guard lock(mutex);
        const auto it = members.find(id);
        return it == members.end() ? std::nullopt : std::optional<Member>(it->second);
    }
    std::optional<fauth::KeyOwner<Member>> find_key(const std::string& id) {
        ++loads;
        std::lock_guard lock(mutex);
        const auto it = keys.find(id);
        if (it == keys.end()) return std::nullopt;
        const auto owner = members.find(it->second.owner);
        // A key whose owner is gone comes back with someone else, as a join gone wrong would.
        const Member m = owner == members.end() ? members.at("m-1") : owner->second;
        return fauth::KeyOwner<Member>{it->second, m};
    }
    fauth::LoadResult<fauth::KeyOwner<Member>> later(const std::string& id) {
        return fauth::LoadResult<fauth::KeyOwner<Member>>([this, id](auto& resolve, auto&) {
            std::lock_guard lock(mutex);
            threads.emplace_back([this, id, resolver = std::move(resolve)]() mutable {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                resolver(find_key(id));
            });
        });
    }

    std::mutex mutex;
    std::map<std::string, Member> members;
    std::map<std::string, fauth::ApiKey> keys;
    std::vector<std::string> used;
    std::vector<std::thread> threads;
    std::atomic<int> loads{0};
    bool throwing_hook = false;
    fauth::AuthProvider<Member> auth;
};

void whoami(const Request&, ResponseWriter w, const fauth::Principal<Member>& p) {
    using Context = fauth::http::SecurityContext<Member>;
    fauth::http::send_json(w, Code::Ok,
                           {{"user", p.user.name},
                            {"scheme", fauth::scheme_name(p.scheme)},
                            {"scopes", p.scopes},
                            {"key", p.key ? p.key->id : ""},
                            {"token", p.token != nullptr},
                            {"context_key", Context::key() ? Context::key()->id : ""},
                            {"context_token", Context::token() != nullptr},
                            {"context_staff", Context::has_role("staff")}});
}

// One application: /either (bearer, then key), /key-first (key, then bearer), /keys-only,
// /write (scope notes:write), /staff (a predicate), /boom (a predicate that throws), /staff-role
// (role staff, by token or key).
struct App {
    explicit App(World& w, fauth::http::HttpConfig http = {}) : world(w), api(router, std::move(http)) {
        api.get("/either", w.auth.require({}, whoami, {Scheme::bearer, Scheme::api_key}));
        api.get("/key-first", w.auth.require({}, whoami, {Scheme::api_key, Scheme::bearer}));
        api.get("/keys-only", w.auth.require({}, whoami, {Scheme::api_key}));
        api.get("/bearer-only", w.auth.require_user([](const Request&, ResponseWriter rw, const Member& m) {
            fauth::http::send_json(rw, Code::Ok, {{"user", m.name}});
        }));
        api.get("/write", w.auth.require(fauth::scope("notes:write"), whoami, {Scheme::bearer, Scheme::api_key}));
        const auto staff = fauth::predicate<Member>("a staff member", [](const Member& m) {
            return std::find(m.roles.begin(), m.roles.end(), "staff") != m.roles.end();
        });
        api.get("/staff", w.auth.require(staff && fauth::scope("notes:read"), whoami, {Scheme::api_key}));
        api.get("/staff-role", w.auth.require(fauth::role("staff"), whoami, {Scheme::bearer, Scheme::api_key}));
        api.get("/boom", w.auth.require(fauth::predicate<Member>("explodes",
                                                                 [](const Member&) -> bool {
                                                                     throw std::runtime_error("the rule's database is down");
                                                                 }),
                                        whoami, {Scheme::api_key}));
    }
    World& world;
    Pistache::Rest::Router router;
    fauth::http::Api api;
};

std::string bearer_for(World& w, const std::string& id) { return w.auth.sign_in(*w.member(id)).access_token; }

}  // namespace

TEST(Schemes, ARouteTakingBearerOrApiKeyWorksWithEither) {
    World world;
    App app(world);
    fauth::testing::TestServer server(app.api);
    const auto key = world.add_key("m-1", {"notes:read"});

    const auto by_token = server.client().with_bearer(bearer_for(world, "m-1")).get("/either");
    ASSERT_EQ(by_token.status, 200) << by_token.body;
    EXPECT_EQ(by_token.json()["scheme"], "bearer");
    EXPECT_EQ(by_token.json()["token"], true);

    const auto by_key = server.client().with_header("X-API-Key: " + key).get("/either");
    ASSERT_EQ(by_key.status, 200) << by_key.body;
    EXPECT_EQ(by_key.json()["user"], "ada");
    EXPECT_EQ(by_key.json()["scheme"], "api_key");
    EXPECT_EQ(by_key.json()["scopes"], nlohmann::json::array({"notes:read"}));
    EXPECT_EQ(by_key.json()["token"], false);
    EXPECT_EQ(by_key.json()["key"], *fauth::api_key_id(key, "fauth"));
    EXPECT_EQ(server.client().with_header("x-api-key:   " + key + "  ").get("/either").status, 200)
        << "the header name in any case, the value without its whitespace";
}

TEST(Schemes, NoCredentialsIsChallengedWithEveryAcceptedScheme) {
    World world;
    App app(world);
    fauth::testing::TestServer server(app.api);
    const auto none = server.client().get("/either");
    EXPECT_TRUE(refused(none, 401, "Not authenticated"));
    EXPECT_EQ(none.header("WWW-Authenticate"), R"(Bearer, APIKey header="X-API-Key")");
    const auto keys_only = server.client().with_bearer(bearer_for(world, "m-1")).get("/keys-only");
    EXPECT_EQ(keys_only.status, 401) << "a bearer token is not a credential this route reads";
    EXPECT_EQ(keys_only.json()["detail"], "Not authenticated");
    EXPECT_EQ(keys_only.header("WWW-Authenticate"), R"(APIKey header="X-API-Key")");
    EXPECT_EQ(server.client().with_header("X-API-Key: " + world.add_key("m-1", {})).get("/bearer-only").status, 401)
        << "a route left as it was reads no API key";
}

TEST(Schemes, BadCredentialsInTheFirstSchemePresentNeverFallThrough) {
    World world;
    App app(world);
    fauth::testing::TestServer server(app.api);
    const auto key = world.add_key("m-1", {});
    const auto token = bearer_for(world, "m-1");
    const auto bad_bearer = server.client().with_bearer("not.a.token").with_header("X-API-Key: " + key).get("/either");
    EXPECT_EQ(bad_bearer.status, 401);
    EXPECT_EQ(bad_bearer.json()["detail"], "Invalid token");
    EXPECT_EQ(server.client().with_header("Authorization: Bearer").with_header("X-API-Key: " + key).get("/either").status, 401)
        << "the Bearer scheme without a token is malformed bearer credentials";
    EXPECT_EQ(server.client().with_header("Authorization: Basic YTpi").with_header("X-API-Key: " + key).get("/either").status,
              200)
        << "another Authorization scheme (Basic) carries no bearer credentials at all";
    auto wrong = key;
    wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
    EXPECT_TRUE(
        refused(server.client().with_header("X-API-Key: " + wrong).with_bearer(token).get("/key-first"), 401, "Invalid API key"));
    EXPECT_TRUE(
        refused(server.client().with_header("X-API-Key: nope").with_bearer(token).get("/key-first"), 401, "Invalid API key"));
    EXPECT_TRUE(refused(server.client().with_header("X-API-Key:").with_bearer(token).get("/key-first"), 401, "Invalid API key"))
        << "an empty key is there, and malformed";
    EXPECT_EQ(server.client().with_bearer(token).get("/key-first").status, 200) << "no key at all: the next scheme";
}

TEST(Schemes, EveryBadApiKeyIsRefusedAndOnlyAMatchingKeySaysMore) {
    World world;
    App app(world);
    fauth::testing::TestServer server(app.api);
    const auto client = [&](const std::string& k) { return server.client().with_header("X-API-Key: " + k); };
    const auto good = world.add_key("m-1", {});
    auto wrong_secret = good;
    wrong_secret[30] = wrong_secret[30] == 'a' ? 'b' : 'a';
    const auto unknown = fauth::generate_api_key("fauth").key;
    const auto other_prefix = fauth::generate_api_key("other").key;
    for (const auto& k : {wrong_secret, unknown, other_prefix, good.substr(0, good.size() - 1), good + "x"})
        EXPECT_TRUE(refused(client(k).get("/keys-only"), 401, "Invalid API key")) << k;

    const auto revoked = world.add_key("m-1", {});
    world.revoke(revoked);
    EXPECT_TRUE(refused(client(revoked).get("/keys-only"), 401, "API key revoked"));
    auto revoked_wrong = revoked;
    revoked_wrong[30] = revoked_wrong[30] == 'a' ? 'b' : 'a';
    EXPECT_TRUE(refused(client(revoked_wrong).get("/keys-only"), 401, "Invalid API key"))
        << "revocation is told only to the key's holder";
    const auto expired = world.add_key("m-1", {}, fauth::unix_seconds() - 1);
    EXPECT_TRUE(refused(client(expired).get("/keys-only"), 401, "API key expired"));
    EXPECT_EQ(client(world.add_key("m-1", {}, fauth::unix_seconds() + 3600)).get("/keys-only").status, 200);
    EXPECT_TRUE(refused(client(world.add_key("m-2", {})).get("/keys-only"), 403, "Inactive user")) << "an inactive owner";
    const auto hijacked = world.add_key("m-1", {});
    {
        std::lock_guard lock(world.mutex);
        world.keys.at(std::string(*fauth::api_key_id(hijacked, "fauth"))).owner = "m-3";
    }
    EXPECT_TRUE(refused(client(hijacked).get("/keys-only"), 401, "Invalid API key")) << "owner mismatch";
}

TEST(Schemes, RulesSeeTheKeysScopesWithWildcardsAndPredicatesAnswerAFixedMessage) {
    World world;
    App app(world);
    fauth::testing::TestServer server(app.api);
    const auto client = [&](const std::string& k) { return server.client().with_header("X-API-Key: " + k); };
    EXPECT_TRUE(refused(client(world.add_key("m-1", {"notes:read"})).get("/write"), 403,
                        "Insufficient scope: requires notes:write scope"));
    EXPECT_TRUE(refused(client(world.add_key("m-1", {"notesadmin:write"})).get("/write"), 403,
                        "Insufficient scope: requires notes:write scope"));
    EXPECT_EQ(client(world.add_key("m-1", {"notes:*"})).get("/write").status, 200);
    EXPECT_TRUE(refused(client(world.add_key("m-1", {"*"})).get("/write"), 403, "Insufficient scope: requires notes:write scope"))
        << "a lone * grants nothing unless configured";
    EXPECT_TRUE(refused(server.client().with_bearer(bearer_for(world, "m-1")).get("/write"), 403,
                        "Insufficient scope: requires notes:write scope"))
        << "a token without the scope";
    EXPECT_EQ(server.client().with_bearer(world.auth.login("m-1", {"notes:write"}).access_token).get("/write").status, 200);

    {
        std::lock_guard lock(world.mutex);
        world.members["m-3"] = {"m-3", "cy", true, {"visitor"}};
    }
    EXPECT_EQ(client(world.add_key("m-1", {"notes:read"})).get("/staff").status, 200);
    EXPECT_TRUE(refused(client(world.add_key("m-3", {"notes:read"})).get("/staff"), 403, "Access denied"))
        << "never the predicate's description";
    const auto boom = client(world.add_key("m-1", {})).get("/boom");
    EXPECT_TRUE(refused(boom, 500, "Internal Server Error"));
    EXPECT_EQ(boom.body.find("database"), std::string::npos);
}

TEST(Schemes, AKeyNeverCarriesItsOwnersRolesAndTheHandlerSeesTheKey) {
    World world;
    App app(world);
    fauth::testing::TestServer server(app.api);
    const auto key = world.add_key("m-1", {"notes:*"});  // m-1 has role staff
    EXPECT_TRUE(refused(server.client().with_header("X-API-Key: " + key).get("/staff-role"), 403, "Missing role: staff"))
        << "roles are a person's: guard key routes with scopes";
    const auto by_token = server.client().with_bearer(bearer_for(world, "m-1")).get("/staff-role");
    ASSERT_EQ(by_token.status, 200);
    const auto token_body = nlohmann::json::parse(by_token.body);
    EXPECT_EQ(token_body["context_key"], "");
    EXPECT_EQ(token_body["context_token"], true);
    EXPECT_EQ(token_body["context_staff"], true);

    const auto by_key = server.client().with_header("X-API-Key: " + key).get("/either");
    ASSERT_EQ(by_key.status, 200);
    const auto key_body = nlohmann::json::parse(by_key.body);
    EXPECT_EQ(key_body["context_key"], std::string(*fauth::api_key_id(key, "fauth"))) << "SecurityContext::key()";
    EXPECT_EQ(key_body["context_token"], false);
    EXPECT_EQ(key_body["context_staff"], false) << "SecurityContext::has_role agrees with Rule::role";
}

TEST(Schemes, ApiKeyOnlyIfConfiguredFromTheQueryString) {
    {
        World world;
        App app(world);
        fauth::testing::TestServer server(app.api);
        const auto key = world.add_key("m-1", {});
        EXPECT_TRUE(refused(server.client().get("/keys-only?api_key=" + key), 401, "Not authenticated")) << "never by default";
    }
    World world;
    fauth::http::HttpConfig http;
    http.api_keys.query_parameter = "api_key";
    App app(world, http);
    fauth::testing::TestServer server(app.api);
    const auto key = world.add_key("m-1", {});
    EXPECT_EQ(server.client().get("/keys-only?api_key=" + key).status, 200);
    EXPECT_TRUE(
        refused(server.client().with_header("X-API-Key: " + key).get("/keys-only?api_key=" + key), 401, "Invalid API key"))
        << "two keys at once are refused, not chosen between";
}

TEST(Schemes, OneLoaderCallPerKeyRequestAndTheUsedHookOnlyForAMatch) {
    World world;
    App app(world);
    fauth::testing::TestServer server(app.api);
    const auto key = world.add_key("m-1", {});
    world.loads = 0;
    EXPECT_EQ(server.client().with_header("X-API-Key: " + key).get("/keys-only").status, 200);
    EXPECT_EQ(world.loads.load(), 1);
    auto wrong = key;
    wrong[30] = wrong[30] == 'a' ? 'b' : 'a';
    EXPECT_EQ(server.client().with_header("X-API-Key: " + wrong).get("/keys-only").status, 401);
    EXPECT_EQ(server.client().with_header("X-API-Key: nope").get("/keys-only").status, 401);
    EXPECT_EQ(world.loads.load(), 2) << "a malformed key costs no look-up";
    {
        std::lock_guard lock(world.mutex);
        EXPECT_EQ(world.used, std::vector<std::string>{std::string(*fauth::api_key_id(key, "fauth"))})
            << "a wrong secret is no use";
    }
    world.throwing_hook = true;
    EXPECT_EQ(server.client().with_header("X-API-Key: " + key).get("/keys-only").status, 200) << "a failing hook is only logged";
}

TEST(Schemes, APromiseKeyLoaderAnswersLater) {
    World world(World::make_config(), true);
    App app(world);
    fauth::testing::TestServer server(app.api, 2);
    const auto key = world.add_key("m-1", {"notes:write"});
    EXPECT_EQ(server.client().with_header("X-API-Key: " + key).get("/write").status, 200);
    EXPECT_TRUE(refused(server.client().with_header("X-API-Key: " + fauth::generate_api_key("fauth").key).get("/write"), 401,
                        "Invalid API key"));
}

TEST(Schemes, KeysAreNeverLoggedInClear) {
    World::logged().clear();
    std::vector<std::string> keys;
    {
        World world;
        App app(world);
        fauth::testing::TestServer server(app.api);
        keys = {world.add_key("m-1", {}), world.add_key("m-2", {}), world.add_key("m-1", {"x"})};
        world.revoke(keys[2]);
        world.throwing_hook = true;
        for (const auto& k : keys) server.client().with_header("X-API-Key: " + k).get("/write");
        auto wrong = keys[0];
        wrong[30] = wrong[30] == 'a' ? 'b' : 'a';
        server.client().with_header("X-API-Key: " + wrong).get("/write");
    }
    ASSERT_FALSE(World::logged().empty()) << "refusals and the failing hook were logged";
    for (const auto& line : World::logged())
        for (const auto& k : keys) EXPECT_EQ(line.find(k.substr(23)), std::string::npos) << line;
    // What was logged instead: which check failed, which the client ("Invalid API key") is not told.
    const auto logged = [](std::string_view reason) {
        return std::ranges::count_if(World::logged(), [&](const std::string& line) {
            return line.find(R"("event":"token_refused")") != std::string::npos &&
                   line.find(R"("reason":")" + std::string(reason) + '"') != std::string::npos;
        });
    };
    EXPECT_EQ(logged("invalid API key: mismatch"), 1);
    EXPECT_EQ(logged("invalid API key: revoked"), 1);
}

TEST(Schemes, RoutesThatCannotWorkAreRefusedWhenMounted) {
    fauth::AuthProvider<Member> plain(World::make_config(), [](const fauth::TokenPayload&) { return std::optional<Member>(); });
    const auto h = [](const Request&, ResponseWriter w, const Member&) { w.send(Code::Ok); };
    Pistache::Rest::Router router;
    fauth::http::Api api{router};
    EXPECT_THROW(api.get("/x", plain.require({}, h, {Scheme::api_key})), fauth::ConfigError) << "no api_key_loader";
    World world;
    EXPECT_THROW(api.get("/x", world.auth.require({}, h, {Scheme::bearer, Scheme::bearer})), fauth::ConfigError);
    EXPECT_THROW(api.get("/x", world.auth.require({}, h, {Scheme::cookie})), fauth::ConfigError) << "cookies are off";
    EXPECT_THROW((void)fauth::http::mount(world.auth.require({}, h, {Scheme::cookie})), fauth::ConfigError)
        << "on a bare router too";
    struct Other {
        std::string id;
    };
    EXPECT_THROW(api.get("/x", world.auth.require(fauth::predicate<Other>("x", [](const Other&) { return true; }), h)),
                 fauth::ConfigError);
    EXPECT_TRUE(api.routes().empty()) << "nothing was routed by the refused calls";
    fauth::http::SecureRouter<Member> admin{api,
                                            world.auth,
                                            {.prefix = "/a", .rule = {.fresh = true}, .schemes = {Scheme::api_key}}};
    EXPECT_THROW(admin.get("/x", h), fauth::ConfigError) << "a fresh token cannot be an API key";
}

TEST(Schemes, ASecureRouterCombinesItsRuleAndSchemesWithTheRoutes) {
    World world;
    Pistache::Rest::Router router;
    fauth::http::Api api{router};
    fauth::http::SecureRouter<Member> notes{api,
                                            world.auth,
                                            {.prefix = "/notes",
                                             .require = fauth::scope("notes:read"),
                                             .schemes = {Scheme::bearer, Scheme::api_key}}};
    notes.get("", whoami);
    notes.post("", whoami, {.require = fauth::scope("notes:write")});
    fauth::testing::TestServer server(api);
    const auto reader = server.client().with_header("X-API-Key: " + world.add_key("m-1", {"notes:read"}));
    EXPECT_EQ(reader.get("/notes").status, 200);
    EXPECT_TRUE(refused(reader.post("/notes"), 403, "Insufficient scope: requires notes:write scope"));
    EXPECT_EQ(server.client().with_header("X-API-Key: " + world.add_key("m-1", {"notes:*"})).post("/notes").status, 200);
    const auto doc = api.openapi({});
    EXPECT_EQ(doc["paths"]["/notes"]["post"]["description"], "Requires scope notes:read and scope notes:write.");
    EXPECT_EQ(doc["paths"]["/notes"]["post"]["security"].size(), 3u);
}
