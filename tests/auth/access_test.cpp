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
