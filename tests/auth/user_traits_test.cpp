#include "fauth/auth/user_traits.hpp"

#include <gtest/gtest.h>

#include <set>

#include "support/user.hpp"

namespace {

using DefaultUser = fauth::test::User;

struct MinimalUser {
    long id;
};

struct OptionalHashUser {
    std::string id;
    std::optional<std::string> hashed_password;
};

struct Account {
    int account_no;
    std::string pw;
    bool disabled;
    std::set<std::string> groups;
};

}  // namespace

template <>
struct fauth::user_traits<Account> {
    static std::string id(const Account& a) { return "acct-" + std::to_string(a.account_no); }
    static const std::string& hashed_password(const Account& a) { return a.pw; }
    static bool is_active(const Account& a) { return !a.disabled; }
    static const std::set<std::string>& roles(const Account& a) { return a.groups; }
};

TEST(UserTraits, ReadsTheDefaultMembers) {
    const DefaultUser u{"user-123", "alice", "$2b$...", false, {"admin"}, {"read"}};
    EXPECT_EQ(fauth::user_id(u), "user-123");
    EXPECT_EQ(fauth::user_password_hash(u), "$2b$...");
    EXPECT_FALSE(fauth::user_is_active(u));
    EXPECT_TRUE(fauth::user_has_role(u, "admin"));
    EXPECT_FALSE(fauth::user_has_role(u, "member"));
    EXPECT_TRUE(fauth::user_has_permission(u, "read"));
    EXPECT_FALSE(fauth::user_has_permission(u, "write"));
    EXPECT_TRUE(fauth::has_password_hash<DefaultUser>);
}

TEST(UserTraits, MissingMembersHaveSafeDefaults) {
    const MinimalUser u{42};
    EXPECT_EQ(fauth::user_id(u), "42");
    EXPECT_FALSE(fauth::user_password_hash(u));
    EXPECT_TRUE(fauth::user_is_active(u)) << "no is_active member: active";
    EXPECT_FALSE(fauth::user_has_role(u, "admin")) << "no roles member: no roles";
    EXPECT_FALSE(fauth::user_has_permission(u, "read"));
    EXPECT_FALSE(fauth::has_password_hash<MinimalUser>);
}

TEST(UserTraits, EmptyOrAbsentHashesAreNoHash) {
    EXPECT_FALSE(fauth::user_password_hash(DefaultUser{"u", "n", "", true, {}, {}}));
    EXPECT_FALSE(fauth::user_password_hash(OptionalHashUser{"u", std::nullopt}));
    EXPECT_EQ(fauth::user_password_hash(OptionalHashUser{"u", "h"}), "h");
}

TEST(UserTraits, ASpecialisationRenamesFieldsAndKeepsOtherDefaults) {
    const Account a{7, "hash", true, {"ops"}};
    EXPECT_EQ(fauth::user_id(a), "acct-7");
    EXPECT_EQ(fauth::user_password_hash(a), "hash");
    EXPECT_FALSE(fauth::user_is_active(a));
    EXPECT_TRUE(fauth::user_has_role(a, "ops"));
    EXPECT_FALSE(fauth::user_has_permission(a, "ops")) << "permissions not given: none";
}
