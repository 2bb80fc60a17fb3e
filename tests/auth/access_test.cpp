#include "fauth/auth/access.hpp"

#include <gtest/gtest.h>

namespace {
struct User {
    std::string id;
    bool is_active = true;
    std::vector<std::string> roles;
    std::vector<std::string> permissions;
};
const User alice{"user-123", true, {"admin"}, {"read", "write"}};
const User bob{"user-456", true, {"member"}, {"read"}};
const User carol{"user-789", false, {}, {}};

std::string forbidden_detail(const std::function<void()>& f) {
    try {
        f();
    } catch (const fauth::Forbidden& e) {
        EXPECT_EQ(e.kind(), fauth::ErrorKind::forbidden);
        return e.detail();
    }
    return "";
}
}  // namespace

TEST(Access, RolesUseFAuthsMessages) {
    EXPECT_FALSE(fauth::role_denial(alice, {"admin"}));
    EXPECT_EQ(fauth::role_denial(bob, {"admin"}), "Missing role: admin");
    EXPECT_EQ(forbidden_detail([] { fauth::require_roles(bob, {"admin"}); }), "Missing role: admin");
    EXPECT_EQ(forbidden_detail([] { fauth::require_roles(alice, {"admin"}); }), "");
}

TEST(Access, AllOfByDefaultNamingTheFirstMissing) {
    EXPECT_EQ(fauth::role_denial(alice, {"admin", "auditor", "ops"}), "Missing role: auditor");
    EXPECT_EQ(fauth::permission_denial(bob, {"read", "write"}), "Insufficient permissions: requires write permission");
    EXPECT_FALSE(fauth::permission_denial(alice, {"read", "write"}));
}

TEST(Access, AnyOfOnRequest) {
    EXPECT_FALSE(fauth::role_denial(bob, {"admin", "member"}, fauth::Match::any));
    EXPECT_EQ(fauth::role_denial(carol, {"admin", "member"}, fauth::Match::any), "Missing role: one of admin, member");
    EXPECT_EQ(fauth::role_denial(carol, {"admin"}, fauth::Match::any), "Missing role: admin");
    EXPECT_FALSE(fauth::permission_denial(bob, {"write", "read"}, fauth::Match::any));
    EXPECT_EQ(fauth::permission_denial(carol, {"write", "read"}, fauth::Match::any),
              "Insufficient permissions: requires one of write, read permission");
    EXPECT_EQ(forbidden_detail([] { fauth::require_permissions(carol, {"write"}, fauth::Match::any); }),
              "Insufficient permissions: requires write permission");
}

TEST(Access, AnEmptyRequirementRequiresNothing) {
    EXPECT_FALSE(fauth::role_denial(carol, {}));
    EXPECT_FALSE(fauth::role_denial(carol, {}, fauth::Match::any));
    EXPECT_FALSE(fauth::permission_denial(carol, {}));
}

TEST(Access, RequireActive) {
    EXPECT_NO_THROW(fauth::require_active(alice));
    EXPECT_THROW(fauth::require_active(carol), fauth::InactiveUser);
}

// ---- Wildcard grants: exact per segment, `*` for exactly one segment ----

TEST(Grants, AWildcardSegmentGrantsWhatIsBelowItAndNothingBeside) {
    const fauth::Wildcards on;
    EXPECT_TRUE(fauth::grants("notes:*", "notes:read", on));
    EXPECT_TRUE(fauth::grants("notes:*", "notes:write", on));
    EXPECT_FALSE(fauth::grants("notes:*", "notes:drafts:read", on)) << "one segment: a deeper name added later is not granted";
    EXPECT_FALSE(fauth::grants("notes:*", "notes:admin:purge", on));
    EXPECT_TRUE(fauth::grants("notes:*:read", "notes:drafts:read", on)) << "a middle * is one segment";
    EXPECT_FALSE(fauth::grants("notes:*:read", "notes:drafts:write", on));
    EXPECT_FALSE(fauth::grants("notes:*:read", "notes:a:b:read", on));
    EXPECT_FALSE(fauth::grants("notes:*", "notesadmin:read", on)) << "no prefix confusion";
    EXPECT_FALSE(fauth::grants("notes:*", "notes", on)) << "a wildcard stands for a name, never for nothing";
    EXPECT_FALSE(fauth::grants("notes:*", "notes:", on));
    EXPECT_FALSE(fauth::grants("note*", "notes:read", on)) << "only a whole segment is a wildcard";
    EXPECT_FALSE(fauth::grants("notes:read", "notes:*", on)) << "a narrow grant never covers a wide need";
    EXPECT_TRUE(fauth::grants("notes:*", "notes:*", on));
    EXPECT_FALSE(fauth::grants("notes", "notes:read", on));
    EXPECT_FALSE(fauth::grants("notes:read", "notes:read:all", on));
}

TEST(Grants, ALoneStarGrantsEverythingOnlyWhenConfigured) {
    fauth::Wildcards w;
    EXPECT_FALSE(fauth::grants("*", "notes:read", w));
    EXPECT_FALSE(fauth::grants("*", "admin", w));
    EXPECT_TRUE(fauth::grants("*", "*", w)) << "the same name";
    EXPECT_FALSE(fauth::grants("*:read", "admin:read", w)) << "a first * is as wide as a lone one";
    EXPECT_FALSE(fauth::grants("*:*", "notes:read", w));
    EXPECT_FALSE(fauth::grants("*:*", "admin:delete", w));
    w.everything = true;
    EXPECT_TRUE(fauth::grants("*", "notes:read", w));
    EXPECT_TRUE(fauth::grants("*", "admin", w));
    EXPECT_TRUE(fauth::grants("*:read", "admin:read", w));
    EXPECT_FALSE(fauth::grants("*:read", "admin:write", w));
}

TEST(Grants, WildcardsCanBeTurnedOff) {
    fauth::Wildcards off;
    off.segments = false;
    EXPECT_FALSE(fauth::grants("notes:*", "notes:read", off));
    EXPECT_TRUE(fauth::grants("notes:read", "notes:read", off));
}

TEST(Access, PermissionsGrantByWildcard) {
    const User editor{"u", true, {}, {"notes:*"}};
    EXPECT_FALSE(fauth::permission_denial(editor, {"notes:read", "notes:write"}));
    EXPECT_EQ(fauth::permission_denial(editor, {"notesadmin:read"}),
              "Insufficient permissions: requires notesadmin:read permission");
}

// ---- Rules ----

namespace {
std::optional<std::string> check(const fauth::Rule& rule, const User& user, const std::vector<std::string>& scopes = {},
                                 const fauth::Wildcards& wildcards = {}) {
    const fauth::Principal<User> principal{user, fauth::Scheme::bearer, scopes};
    return fauth::denial(rule, principal, wildcards);
}
}  // namespace

TEST(Rule, LeavesSayWhatIsMissingInFAuthsWords) {
    EXPECT_FALSE(check(fauth::role("admin"), alice));
    EXPECT_EQ(check(fauth::role("admin"), bob), "Missing role: admin");
    EXPECT_EQ(check(fauth::permission("write"), bob), "Insufficient permissions: requires write permission");
    EXPECT_FALSE(check(fauth::scope("notes:read"), bob, {"notes:*"}));
    EXPECT_EQ(check(fauth::scope("notes:read"), bob, {"notesadmin:read", "notes"}),
              "Insufficient scope: requires notes:read scope");
    EXPECT_EQ(check(fauth::scope("notes:read"), bob), "Insufficient scope: requires notes:read scope");
}

TEST(Rule, AScopeDenialNamesTheScopeToAskFor) {
    const auto missing = [](const fauth::Rule& rule, const std::vector<std::string>& scopes) {
        std::vector<std::string> names;
        const fauth::Principal<User> principal{bob, fauth::Scheme::bearer, scopes};
        EXPECT_TRUE(fauth::denial(rule, principal, {}, &names));
        return names;
    };
    EXPECT_EQ(missing(fauth::scope("notes:write"), {"notes:read"}), std::vector<std::string>{"notes:write"});
    EXPECT_EQ(missing(fauth::scope("a") && fauth::scope("b"), {"a"}), std::vector<std::string>{"b"}) << "the one missing";
    EXPECT_EQ(missing(fauth::any_of(fauth::scope("a:x"), fauth::scope("b:x")), {}), std::vector<std::string>{"a:x"})
        << "one of them is enough: RFC 6750's scope names what is needed, so the first";
    EXPECT_TRUE(missing(fauth::role("admin") && fauth::scope("a"), {}).empty()) << "a role is missing first: no scope helps";
    EXPECT_TRUE(missing(fauth::not_(fauth::scope("a")), {"a"}).empty());
}

TEST(Rule, AllOfAnyOfAndNotCombine) {
    const auto rule =
        fauth::all_of(fauth::role("member"), fauth::any_of(fauth::scope("notes:write"), fauth::permission("write")));
    EXPECT_FALSE(check(rule, bob, {"notes:write"}));
    EXPECT_EQ(check(rule, bob), "Access denied") << "any_of over different kinds says nothing more";
    EXPECT_EQ(check(rule, alice), "Missing role: member") << "all_of: the first unmet";
    EXPECT_EQ(check(fauth::any_of(fauth::role("admin"), fauth::role("auditor")), bob), "Missing role: one of admin, auditor");
    EXPECT_EQ(check(fauth::any_of(fauth::scope("a:x"), fauth::scope("b:x")), bob),
              "Insufficient scope: requires one of a:x, b:x scope");
    EXPECT_FALSE(check(fauth::not_(fauth::role("admin")), bob));
    EXPECT_EQ(check(fauth::not_(fauth::role("admin")), alice), "Access denied");
    EXPECT_FALSE(check(fauth::role("member") || fauth::role("admin"), alice));
    EXPECT_EQ(check(fauth::role("member") && !fauth::permission("write"), alice), "Missing role: member");
}

TEST(Rule, APredicateSeesTheUserAndTheClaimsAndFailsWithAFixedMessage) {
    const auto owns_reports = fauth::predicate<User>("works in reporting", [](const fauth::Principal<User>& p) {
        return p.user.id == "user-123" && p.scheme == fauth::Scheme::bearer && !p.scopes.empty();
    });
    EXPECT_FALSE(check(owns_reports, alice, {"x"}));
    EXPECT_EQ(check(owns_reports, alice), "Access denied") << "never the predicate's description";
    EXPECT_EQ(check(owns_reports, bob, {"x"}), "Access denied");
    const auto told = fauth::predicate<User>(
        "on the rota", [](const User& u) { return u.roles.size() > 1; }, "Not on the rota today");
    EXPECT_EQ(check(told, alice), "Not on the rota today") << "the app's own message, when it gives one";
    const auto throws = fauth::predicate<User>("throws", [](const User&) -> bool { throw std::runtime_error("db down"); });
    EXPECT_THROW(check(throws, alice), std::runtime_error) << "the guard answers it with a 500";
}

TEST(Rule, AnApiKeyNeverExceedsItsScopes) {
    // alice is an admin with permissions read and write; her key may only read.
    fauth::ApiKey key{.id = "k", .hash = "h", .owner = alice.id, .scopes = {"read", "notes:*"}};
    const fauth::Principal<User> by_key{alice, fauth::Scheme::api_key, key.scopes, nullptr, &key};
    EXPECT_EQ(fauth::denial(fauth::role("admin"), by_key), "Missing role: admin") << "roles are a person's, never a key's";
    EXPECT_FALSE(fauth::denial(fauth::permission("read"), by_key)) << "the owner has it and the key's scopes grant it";
    EXPECT_EQ(fauth::denial(fauth::permission("write"), by_key), "Insufficient permissions: requires write permission")
        << "the owner has it, the key does not";
    EXPECT_FALSE(fauth::denial(fauth::scope("notes:read"), by_key));
    const User reader{"u-2", true, {}, {"read"}};
    fauth::ApiKey wide{.id = "w", .hash = "h", .owner = reader.id, .scopes = {"read", "write"}};
    const fauth::Principal<User> wide_key{reader, fauth::Scheme::api_key, wide.scopes, nullptr, &wide};
    EXPECT_EQ(fauth::denial(fauth::permission("write"), wide_key), "Insufficient permissions: requires write permission")
        << "nor its owner's permissions";
    EXPECT_FALSE(fauth::denial(fauth::role("admin"), fauth::Principal<User>{alice, fauth::Scheme::bearer, key.scopes}))
        << "the same owner by token keeps her roles";
}

TEST(Rule, DescribesItselfForTheOpenApiDocument) {
    const auto owner = fauth::predicate<User>("owner of the note", [](const User&) { return true; });
    EXPECT_EQ(fauth::all_of(fauth::role("admin"), fauth::any_of(fauth::scope("notes:write"), owner),
                            fauth::not_(fauth::role("guest")))
                  .description(),
              "role admin and (scope notes:write or owner of the note) and not role guest");
    EXPECT_EQ(fauth::Rule(fauth::AccessRule{{"a", "b"}, fauth::Match::any, {"w"}, fauth::Match::all}).description(),
              "(role a or role b) and permission w");
    EXPECT_EQ(fauth::Rule().description(), "");
}

TEST(Rule, AnAccessRuleWithFreshIsNotTurnedIntoARuleThatDropsIt) {
    // A Rule has no freshness: converting silently would make a fresh-only route take any token.
    EXPECT_THROW(fauth::Rule(fauth::AccessRule{.fresh = true}), fauth::ConfigError);
    EXPECT_THROW(fauth::Rule(fauth::AccessRule{.roles = {"admin"}, .fresh = true}), fauth::ConfigError);
    EXPECT_EQ(fauth::Rule(fauth::AccessRule{.roles = {"admin"}}).description(), "role admin");
    static_assert(!std::is_convertible_v<fauth::AccessRule, fauth::Rule>, "only an explicit conversion, which refuses fresh");
}

TEST(Rule, TheEmptyRuleIsMetByEveryoneAndCombinesAsSuch) {
    EXPECT_TRUE(fauth::Rule().empty());
    EXPECT_FALSE(check(fauth::Rule(), carol));
    EXPECT_TRUE(fauth::all_of(fauth::Rule(), fauth::Rule()).empty());
    EXPECT_TRUE(fauth::any_of(fauth::role("admin"), fauth::Rule()).empty()) << "one alternative demands nothing";
    EXPECT_EQ(check(fauth::all_of(fauth::Rule(), fauth::role("admin")), bob), "Missing role: admin");
    EXPECT_THROW(fauth::not_(fauth::Rule()), fauth::ConfigError) << "it would refuse everyone";
}

TEST(Rule, RefusesRulesThatCannotBeChecked) {
    struct Other {
        std::string id;
    };
    const auto mine = fauth::predicate<User>("mine", [](const User&) { return true; });
    const auto theirs = fauth::predicate<Other>("theirs", [](const Other&) { return true; });
    EXPECT_THROW(fauth::all_of(mine, theirs), fauth::ConfigError) << "predicates over two User types";
    EXPECT_THROW(fauth::role(""), fauth::ConfigError);
    EXPECT_THROW(fauth::predicate<User>("", [](const User&) { return true; }), fauth::ConfigError) << "no description";
    EXPECT_EQ(*mine.user_type(), typeid(User));
    EXPECT_EQ(fauth::role("a").user_type(), nullptr);
}

TEST(Access, StepUpRulesReadTheTokensAcrAndSessionAge) {
    const std::vector<std::string> scopes;
    fauth::TokenPayload one, two;
    one.acr = "aal1";
    one.auth_time = 1000;
    two.acr = "aal2";
    two.auth_time = 1900;
    const fauth::Principal<User> by_one{alice, fauth::Scheme::bearer, scopes, &one};
    const fauth::Principal<User> by_two{alice, fauth::Scheme::bearer, scopes, &two};

    const auto second = fauth::Rule::second_factor();
    EXPECT_EQ(second.description(), "acr aal2");
    EXPECT_FALSE(fauth::refusal(second, by_two));
    const auto why = fauth::refusal(second, by_one);
    ASSERT_TRUE(why);
    EXPECT_EQ(why->kind, fauth::instruments::RuleKind::authentication);
    EXPECT_EQ(why->message, "Stronger authentication required");
    EXPECT_EQ(why->acr_values, "aal2");
    EXPECT_TRUE(why->step_up());
    // Any of several values; a caller without a token (an API key) cannot step up: a plain 403.
    EXPECT_FALSE(fauth::refusal(fauth::Rule::acr({"gold", "aal1"}), by_one));
    EXPECT_EQ(fauth::refusal(fauth::Rule::acr({"gold", "silver"}), by_one)->acr_values, "gold silver");
    const fauth::ApiKey key{"k", "h", "user-123", {}, "ci"};
    const fauth::Principal<User> by_key{alice, fauth::Scheme::api_key, scopes, nullptr, &key};
    const auto keyed = fauth::refusal(second, by_key);
    ASSERT_TRUE(keyed);
    EXPECT_FALSE(keyed->step_up());
    EXPECT_EQ(keyed->message, fauth::kAccessDenied);

    // max_age: judged by the time given (the guard gives its clock's).
    const auto recent = fauth::Rule::authenticated_within(std::chrono::seconds(300));
    EXPECT_EQ(recent.description(), "signed in within 300 s");
    EXPECT_FALSE(fauth::refusal(recent, by_two, {}, nullptr, 2200));
    EXPECT_FALSE(fauth::refusal(recent, by_one, {}, nullptr, 1300)) << "exactly max_age old";
    const auto stale = fauth::refusal(recent, by_one, {}, nullptr, 1301);
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->message, "Recent authentication required");
    EXPECT_EQ(stale->max_age, std::chrono::seconds(300));
    EXPECT_TRUE(stale->acr_values.empty());

    // A trusted issuer's token: its acr never meets second_factor (fauth's own value), only a
    // Rule::acr naming it; its session's age is its auth_time claim, and without one it must step up.
    fauth::TokenPayload external;
    external.external = true;
    external.acr = "aal2";
    external.iat = 2200;
    const fauth::Principal<User> by_issuer{alice, fauth::Scheme::bearer, scopes, &external};
    EXPECT_TRUE(fauth::refusal(second, by_issuer));
    EXPECT_FALSE(fauth::refusal(fauth::Rule::acr({"aal2"}), by_issuer));
    EXPECT_TRUE(fauth::refusal(recent, by_issuer, {}, nullptr, 2200)) << "no auth_time: its iat says nothing of its sign-in";
    external.extra = {{"auth_time", 2000}};
    EXPECT_FALSE(fauth::refusal(recent, by_issuer, {}, nullptr, 2200));
    external.extra = {{"auth_time", 1000}};
    EXPECT_TRUE(fauth::refusal(recent, by_issuer, {}, nullptr, 2200));

    // any_of a step-up rule and another: a token that meets neither is told what a new sign-in
    // must bring; an API key, which cannot sign in again, is refused for good.
    const auto either = fauth::any_of(second, fauth::role("auditor"));
    const auto stepped = fauth::refusal(either, by_one);
    ASSERT_TRUE(stepped);
    EXPECT_TRUE(stepped->step_up());
    EXPECT_EQ(stepped->acr_values, "aal2");
    EXPECT_FALSE(fauth::refusal(either, by_two));
    ASSERT_TRUE(fauth::refusal(either, by_key));
    EXPECT_FALSE(fauth::refusal(either, by_key)->step_up());

    EXPECT_THROW(fauth::Rule::acr({}), fauth::ConfigError);
    EXPECT_THROW(fauth::Rule::acr({"a b"}), fauth::ConfigError);
    EXPECT_THROW(fauth::Rule::authenticated_within(std::chrono::seconds(-1)), fauth::ConfigError);
}
