#include "fauth/http/bearer.hpp"

#include <gtest/gtest.h>

using fauth::http::BearerCredentials;
using fauth::http::parse_bearer;
using Status = BearerCredentials::Status;

TEST(Bearer, ReadsAWellFormedToken) {
    const auto c = parse_bearer("Bearer abc.DEF-_~+/.xyz==");
    EXPECT_EQ(c.status, Status::present);
    EXPECT_EQ(c.token, "abc.DEF-_~+/.xyz==") << "'=' only at the end, RFC 6750 b64token";
}

TEST(Bearer, TheSchemeIsCaseInsensitive) {
    for (const char* h : {"bearer t.o.k", "BEARER t.o.k", "BeArEr t.o.k"}) {
        const auto c = parse_bearer(h);
        EXPECT_EQ(c.status, Status::present) << h;
        EXPECT_EQ(c.token, "t.o.k") << h;
    }
}

TEST(Bearer, NoHeaderOrAnotherSchemeIsAbsent) {
    EXPECT_EQ(parse_bearer(std::nullopt).status, Status::absent);
    EXPECT_EQ(parse_bearer("").status, Status::absent);
    EXPECT_EQ(parse_bearer("   ").status, Status::absent);
    EXPECT_EQ(parse_bearer("Basic YWxhZGRpbjpvcGVuc2VzYW1l").status, Status::absent);
    EXPECT_EQ(parse_bearer("Bearerx t.o.k").status, Status::absent);
    EXPECT_EQ(parse_bearer("Token t.o.k").status, Status::absent);
}

TEST(Bearer, AnythingButExactlyOneTokenIsMalformed) {
    for (const char* h : {"Bearer", "Bearer ", "Bearer  t.o.k", "Bearer t.o.k extra", "Bearer\tt.o.k", "Bearer t.o.k,x",
                          "Bearer t=o.k", "Bearer \"t.o.k\"", "Bearer t\x01k", "Bearer t\xc3\xa9k", "Bearer ="}) {
        EXPECT_EQ(parse_bearer(h).status, Status::malformed) << h;
        EXPECT_TRUE(parse_bearer(h).token.empty()) << h;
    }
}

TEST(Bearer, SurroundingWhitespaceIsIgnored) {
    const auto c = parse_bearer("  Bearer t.o.k \t");
    EXPECT_EQ(c.status, Status::present);
    EXPECT_EQ(c.token, "t.o.k");
}

TEST(Bearer, EveryByteIsJudgedAsRfc6750Says) {
    // b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    const std::string allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        const bool expected = allowed.find(c) != std::string::npos;
        EXPECT_EQ(fauth::http::is_b64token(std::string("a") + c + "b"), expected) << "byte " << b;
        EXPECT_EQ(fauth::http::is_b64token(std::string(1, c) + "=="), expected) << "byte " << b << " before padding";
    }
    EXPECT_FALSE(fauth::http::is_b64token(""));
    EXPECT_FALSE(fauth::http::is_b64token("=="));
    EXPECT_FALSE(fauth::http::is_b64token("a=b"));
}
