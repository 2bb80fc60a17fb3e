#include "fauth/core/password.hpp"

#include <gtest/gtest.h>

#include <set>

using fauth::bcrypt_cost;
using fauth::hash_password;
using fauth::needs_rehash;
using fauth::verify_password;

constexpr int kFast = 4;  // tests use the lowest cost except where cost is the point

TEST(Password, HashesAreBcrypt2bWithTheRequestedCost) {
    const auto h = hash_password("s3cret", kFast);
    EXPECT_EQ(h.substr(0, 7), "$2b$04$");
    EXPECT_EQ(h.size(), 60u);
    EXPECT_EQ(bcrypt_cost(h), kFast);
    EXPECT_EQ(bcrypt_cost(hash_password("s3cret", 5)), 5);
}

TEST(Password, DefaultCostIsTwelve) {
    EXPECT_EQ(fauth::kDefaultBcryptCost, 12);
    EXPECT_EQ(bcrypt_cost(hash_password("x")), 12);
}

TEST(Password, VerifiesTheRightPasswordOnly) {
    const auto h = hash_password("s3cret", kFast);
    EXPECT_TRUE(verify_password("s3cret", h));
    EXPECT_FALSE(verify_password("s3cret ", h));
    EXPECT_FALSE(verify_password("S3cret", h));
    EXPECT_FALSE(verify_password("", h));
}

TEST(Password, SaltsAreRandom) {
    std::set<std::string> hashes;
    for (int i = 0; i < 8; ++i) hashes.insert(hash_password("same", kFast));
    EXPECT_EQ(hashes.size(), 8u);
}

TEST(Password, InteroperatesWithOtherBcryptImplementations) {
    // Published crypt_blowfish / OpenBSD test vectors ("U*U" and "" at cost 5).
    EXPECT_TRUE(verify_password("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
    EXPECT_TRUE(verify_password("U*U", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
    EXPECT_TRUE(verify_password("", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"));
    EXPECT_FALSE(verify_password("U*V", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
    std::string as_2y = hash_password("password", kFast);
    as_2y[2] = 'y';
    EXPECT_TRUE(verify_password("password", as_2y)) << "$2y$ (PHP) is the same algorithm";
}

TEST(Password, PasswordsLongerThan72BytesAreNotTruncated) {
    const std::string base(72, 'a');
    const auto h = hash_password(base + "x", kFast);
    EXPECT_TRUE(verify_password(base + "x", h));
    EXPECT_FALSE(verify_password(base + "y", h)) << "byte 73 must matter";
    EXPECT_FALSE(verify_password(base, h));
    const auto h72 = hash_password(base, kFast);
    EXPECT_TRUE(verify_password(base, h72));
    EXPECT_FALSE(verify_password(base + "x", h72));
    const std::string huge(100000, 'z');
    EXPECT_TRUE(verify_password(huge, hash_password(huge, kFast)));
}

TEST(Password, PasswordsWithNulBytesAreNotCutShort) {
    const std::string with_nul("pw\0a", 4);
    const auto h = hash_password(with_nul, kFast);
    EXPECT_TRUE(verify_password(with_nul, h));
    EXPECT_FALSE(verify_password(std::string("pw\0b", 4), h)) << "bytes after NUL must matter";
    EXPECT_FALSE(verify_password("pw", h));
    EXPECT_FALSE(verify_password("pw", hash_password(std::string("pw\0", 3), kFast)));
}

TEST(Password, MalformedStoredHashesNeverMatchAndNeverThrow) {
    const auto good = hash_password("pw", kFast);
    std::string nul_inside = good;
    nul_inside[10] = '\0';
    for (const std::string& bad :
         {std::string(), std::string("*0"), std::string("plaintext"), std::string("$2b$"), std::string("$2b$04$short"),
          good.substr(0, 59), good + "x", std::string("$1$abc$def"), std::string("$6$salt$hash"),
          std::string("$2b$99$") + good.substr(7), std::string("$2b$03$") + good.substr(7),
          std::string("$2x$04$") + good.substr(7), std::string("ab"), nul_inside}) {
        EXPECT_FALSE(verify_password("pw", bad)) << bad;
    }
}

TEST(Password, NeedsRehashBelowTheConfiguredCostOrForOtherSchemes) {
    const auto h4 = hash_password("pw", kFast);
    EXPECT_FALSE(needs_rehash(h4, 4));
    EXPECT_TRUE(needs_rehash(h4, 5));
    EXPECT_FALSE(needs_rehash(h4, 3));
    std::string as_2a = h4;
    as_2a[2] = 'a';
    EXPECT_TRUE(needs_rehash(as_2a, 4)) << "$2a$ is upgraded to $2b$";
    EXPECT_TRUE(needs_rehash("$6$salt$hash", 4));
    EXPECT_TRUE(needs_rehash("", 4));
}

TEST(Password, RefusesAnImpossibleCost) {
    EXPECT_THROW(hash_password("pw", 3), std::invalid_argument);
    EXPECT_THROW(hash_password("pw", 32), std::invalid_argument);
}
