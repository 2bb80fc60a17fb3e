#include "fauth/http/token_request.hpp"

#include <gtest/gtest.h>

using fauth::http::LoginRequest;
using fauth::http::RequestError;
using fauth::http::parse_login_request;

namespace {
const char* kForm = "application/x-www-form-urlencoded";

LoginRequest ok(std::string_view type, std::string_view body) {
    auto r = parse_login_request(type, body);
    if (auto* e = std::get_if<RequestError>(&r)) {
        ADD_FAILURE() << "refused: " << e->detail;
        return {};
    }
    return std::get<LoginRequest>(r);
}

RequestError refused(std::string_view type, std::string_view body) {
    auto r = parse_login_request(type, body);
    if (auto* e = std::get_if<RequestError>(&r)) return *e;
    ADD_FAILURE() << "accepted: " << body;
    return {};
}
}  // namespace

TEST(LoginRequest, ReadsSwaggerUisPasswordFlowForm) {
    const auto r = ok(kForm, "grant_type=password&username=alice&password=s3cret&scope=read+write&client_id=&client_secret=");
    EXPECT_EQ(r.username, "alice");
    EXPECT_EQ(r.password, "s3cret");
    EXPECT_EQ(r.scope, "read write");
}

TEST(LoginRequest, DecodesFormEscapes) {
    const auto r = ok("application/x-www-form-urlencoded; charset=UTF-8", "username=al%C3%AFce%40x&password=p%26ss%3Dw+rd%25");
    EXPECT_EQ(r.username,
              "al\xc3\xaf"
              "ce@x");
    EXPECT_EQ(r.password, "p&ss=w rd%");
}

TEST(LoginRequest, ReadsJson) {
    const auto r = ok("Application/JSON; charset=utf-8", R"({"username":"bob","password":"hunter2"})");
    EXPECT_EQ(r.username, "bob");
    EXPECT_EQ(r.password, "hunter2");
}

TEST(LoginRequest, AnEmptyPasswordIsReadButAnEmptyUsernameIsNot) {
    EXPECT_EQ(ok(kForm, "username=a&password=").password, "");
    EXPECT_EQ(refused(kForm, "username=&password=x").status, 422);
}

TEST(LoginRequest, RefusesBodiesWithoutCredentials) {
    for (const char* body : {"", "username=alice", "password=x", "username=a&username=b&password=x", "username=%zz&password=x",
                             "username=a&password=%4", "grant_type=client_credentials&username=a&password=b"}) {
        const auto e = refused(kForm, body);
        EXPECT_EQ(e.status, 422) << body;
        EXPECT_EQ(e.detail.find("s3cret"), std::string::npos);
    }
    for (const char* body : {"", "{", "[]", "\"alice\"", R"({"username":"a"})", R"({"username":1,"password":"x"})",
                             R"({"username":"a","password":null})", R"({"username":"","password":"x"})"}) {
        EXPECT_EQ(refused("application/json", body).status, 422) << body;
    }
}

TEST(LoginRequest, RefusesAJsonMemberGivenTwice) {
    // As repeated form fields: parsers disagree on which value wins.
    for (const char* body :
         {R"({"username":"bob","username":"alice","password":"x"})", R"({"username":"bob","password":"x","password":"y"})",
          R"({"username":"bob","password":"x","scope":{"a":1,"a":2}})",
          R"({"username":"bob","pass\u0077ord":"x","password":"y"})"}) {
        const auto e = refused("application/json", body);
        EXPECT_EQ(e.status, 422) << body;
        EXPECT_EQ(e.detail, "A JSON member was given more than once") << body;
    }
    // The same name in two different objects is not a repetition.
    EXPECT_EQ(ok("application/json", R"({"username":"bob","password":"x","client":{"username":"y"}})").username, "bob");
    const auto refresh = fauth::http::parse_refresh_request("application/json", R"({"refresh_token":"a","refresh_token":"b"})");
    ASSERT_TRUE(std::holds_alternative<fauth::http::RequestError>(refresh));
    EXPECT_EQ(std::get<fauth::http::RequestError>(refresh).status, 422);
}

TEST(LoginRequest, RefusesOtherContentTypes) {
    EXPECT_EQ(refused("text/plain", "username=a&password=b").status, 415);
    EXPECT_EQ(refused("", "username=a&password=b").status, 415);
    EXPECT_EQ(refused("multipart/form-data; boundary=x", "").status, 415);
}

TEST(LoginRequest, FormDecodeRejectsBrokenEscapes) {
    std::string out;
    EXPECT_TRUE(fauth::http::form_decode("a%20b+c", out));
    EXPECT_EQ(out, "a b c");
    EXPECT_FALSE(fauth::http::form_decode("%", out));
    EXPECT_FALSE(fauth::http::form_decode("%2", out));
    EXPECT_FALSE(fauth::http::form_decode("%g0", out));
}

TEST(RefreshRequest, ReadsJsonAndTheOAuth2RefreshGrant) {
    auto r = fauth::http::parse_refresh_request("application/json", R"({"refresh_token":"a.b.c"})");
    ASSERT_TRUE(std::holds_alternative<std::string>(r));
    EXPECT_EQ(std::get<std::string>(r), "a.b.c");
    r = fauth::http::parse_refresh_request(kForm, "grant_type=refresh_token&refresh_token=a.b.c");
    ASSERT_TRUE(std::holds_alternative<std::string>(r));
    EXPECT_EQ(std::get<std::string>(r), "a.b.c");
}

TEST(RefreshRequest, RefusesBodiesWithoutAToken) {
    for (const char* body : {"{}", R"({"refresh_token":""})", R"({"refresh_token":5})", "[]", "nope"}) {
        const auto r = fauth::http::parse_refresh_request("application/json", body);
        ASSERT_TRUE(std::holds_alternative<RequestError>(r)) << body;
        EXPECT_EQ(std::get<RequestError>(r).status, 422) << body;
    }
    const auto wrong_grant = fauth::http::parse_refresh_request(kForm, "grant_type=password&refresh_token=a.b.c");
    ASSERT_TRUE(std::holds_alternative<RequestError>(wrong_grant));
    EXPECT_EQ(std::get<RequestError>(wrong_grant).status, 422);
    const auto text = fauth::http::parse_refresh_request("text/plain", "a.b.c");
    ASSERT_TRUE(std::holds_alternative<RequestError>(text));
    EXPECT_EQ(std::get<RequestError>(text).status, 415);
}
