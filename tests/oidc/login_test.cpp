// The relying party's first half of an OpenID Connect sign-in (issue 36): PKCE (RFC 7636), the
// login state sealed into a cookie, and the authorization request's URL.
#include "fauth/oidc/login.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"

using fauth::oidc::authorization_url;
using fauth::oidc::LoginState;
using fauth::oidc::LoginStateSeal;
using fauth::oidc::new_login_state;
using fauth::oidc::pkce_challenge;

namespace {

const std::string kSecret = "login-state-test-secret-of-32-bytes!";
constexpr std::int64_t kNow = 1'800'000'000;

// The query parameters of `url`, percent-decoded ('+' is a space), by name.
std::map<std::string, std::string> query_of(const std::string& url) {
    std::map<std::string, std::string> out;
    const auto q = url.find('?');
    if (q == std::string::npos) return out;
    auto decode = [](std::string_view text) {
        std::string d;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '%' && i + 2 < text.size()) {
                d += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
                i += 2;
            } else {
                d += text[i] == '+' ? ' ' : text[i];
            }
        }
        return d;
    };
    std::string_view rest(url);
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        out[decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return out;
}

// The log of `result`'s failure; "" when it succeeded.
std::string refusal(const fauth::Result<LoginState>& result) {
    if (result) return "";
    EXPECT_EQ(result.failure().kind, fauth::ErrorKind::invalid_token);
    EXPECT_EQ(result.failure().detail, "Invalid sign-in state");
    return result.failure().log;
}

}  // namespace

TEST(Pkce, TheS256ChallengeIsRfc7636AppendixB) {
    EXPECT_EQ(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(LoginStateTest, EachIsNewAndFitsRfc7636) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const auto s = new_login_state("corp", "/notes", kNow);
        EXPECT_EQ(s.provider, "corp");
        EXPECT_EQ(s.return_to, "/notes");
        EXPECT_EQ(s.expires_at, kNow + 600);
        EXPECT_EQ(s.state.size(), 22u);
        EXPECT_EQ(s.nonce.size(), 22u);
        // RFC 7636 section 4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
        EXPECT_EQ(s.code_verifier.size(), 43u);
        EXPECT_EQ(s.code_verifier.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"),
                  std::string::npos);
        EXPECT_TRUE(seen.insert(s.state).second && seen.insert(s.nonce).second && seen.insert(s.code_verifier).second);
    }
}

TEST(LoginStateTest, OpensWhatItSealedForItsProviderAndState) {
    const LoginStateSeal seal(kSecret);
    const auto s = new_login_state("corp", "/notes?tab=2", kNow);
    const auto sealed = seal.seal(s);
    EXPECT_EQ(sealed.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), std::string::npos)
        << "a cookie value with nothing to escape";
    const auto opened = seal.open(sealed, "corp", s.state, kNow + 599);
    ASSERT_TRUE(opened) << opened.failure().log;
    EXPECT_EQ(opened->provider, s.provider);
    EXPECT_EQ(opened->state, s.state);
    EXPECT_EQ(opened->nonce, s.nonce);
    EXPECT_EQ(opened->code_verifier, s.code_verifier);
    EXPECT_EQ(opened->return_to, s.return_to);
    EXPECT_EQ(opened->expires_at, s.expires_at);
    EXPECT_TRUE(LoginStateSeal(kSecret).open(sealed, "corp", s.state, kNow)) << "another instance with the same secret";
}

TEST(LoginStateTest, RefusesEveryStateItShouldSayingWhyInTheLogOnly) {
    const LoginStateSeal seal(kSecret);
    const auto s = new_login_state("corp", "/", kNow);
    const auto sealed = seal.seal(s);
    EXPECT_EQ(refusal(seal.open(sealed, "corp", s.state, kNow + 600)), "sign-in state: expired");
    EXPECT_EQ(refusal(seal.open(sealed, "other", s.state, kNow)), "sign-in state: started for another provider");
    EXPECT_EQ(refusal(seal.open(sealed, "corp", new_login_state("corp", "/", kNow).state, kNow)),
              "sign-in state: the state parameter does not match");
    EXPECT_EQ(refusal(seal.open(sealed, "corp", "", kNow)), "sign-in state: the state parameter does not match");
    EXPECT_EQ(refusal(LoginStateSeal(kSecret + "x").open(sealed, "corp", s.state, kNow)), "sign-in state: bad MAC")
        << "another secret";

    // The payload changed (a longer life, another return path), the MAC kept: refused.
    const auto dot = sealed.find('.');
    auto forged = s;
    forged.expires_at += 86400;
    const auto other = seal.seal(forged);
    EXPECT_EQ(refusal(seal.open(other.substr(0, other.find('.')) + sealed.substr(dot), "corp", s.state, kNow)),
              "sign-in state: bad MAC");
    // A MAC of the right size but wrong, truncated, or missing.
    auto flipped = sealed;
    flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(refusal(seal.open(flipped, "corp", s.state, kNow)), "sign-in state: bad MAC");
    EXPECT_EQ(refusal(seal.open(sealed.substr(0, sealed.size() - 4), "corp", s.state, kNow)), "sign-in state: bad MAC");
    EXPECT_EQ(refusal(seal.open(sealed.substr(0, dot), "corp", s.state, kNow)), "sign-in state: malformed");
    for (const std::string& garbage : std::vector<std::string>{"", ".", "..", "a.b", "%%%.%%%", std::string(5000, 'a') + ".b"})
        EXPECT_FALSE(seal.open(garbage, "corp", s.state, kNow)) << garbage.substr(0, 20);
}

// HMAC-SHA-256 of `data` under `key`, by OpenSSL's one-shot call (not fauth's HMAC code).
std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[32];
    std::size_t size = 0;
    EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                        reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out, &size),
              nullptr);
    return std::string(reinterpret_cast<const char*>(out), size);
}

// `json` sealed as LoginStateSeal does, computed independently: the key is HMAC-SHA-256 of the
// label under the secret.
std::string sealed_by_hand(const std::string& json) {
    const auto key = hmac_sha256(kSecret, "fauth oidc login state v1");
    const auto payload = fauth::base64url_encode(json);
    return payload + "." + fauth::base64url_encode(hmac_sha256(key, payload));
}

TEST(LoginStateTest, ItsFormatIsDocumentedAndWhatLacksAFieldIsRefused) {
    const LoginStateSeal seal(kSecret);
    const auto good = sealed_by_hand(R"({"p":"corp","s":"st","n":"no","v":"ve","r":"/","e":1800000600})");
    const auto opened = seal.open(good, "corp", "st", kNow);
    ASSERT_TRUE(opened) << opened.failure().log;
    EXPECT_EQ(opened->nonce, "no");
    EXPECT_EQ(opened->code_verifier, "ve");
    // Well sealed, but not a state: never used.
    for (const std::string& json : std::vector<std::string>{R"({"p":"corp","s":"st","n":"no","v":"ve","r":"/"})",
                                                            R"({"p":"corp","s":"st","n":"no","v":"ve","r":"/","e":"1800000600"})",
                                                            R"({"p":"corp","s":"st","n":1,"v":"ve","r":"/","e":1800000600})",
                                                            R"(["corp"])", "not json", "null"})
        EXPECT_EQ(refusal(seal.open(sealed_by_hand(json), "corp", "st", kNow)), "sign-in state: malformed") << json;
    EXPECT_THROW(LoginStateSeal("short"), fauth::ConfigError);
}

TEST(AuthorizationUrl, CarriesWhatOpenIdConnectAndPkceNeedEncoded) {
    const auto s = new_login_state("corp", "/", kNow);
    const auto url = authorization_url("https://idp.example/auth", "notes app", "https://notes.example/auth/corp/callback",
                                       {"email", "openid", "profile"}, s, {{"prompt", "login"}, {"login_hint", "a&b=c"}});
    EXPECT_EQ(url.rfind("https://idp.example/auth?response_type=code&client_id=notes%20app&redirect_uri=https%3A%2F%2F", 0), 0u)
        << url;
    const auto q = query_of(url);
    EXPECT_EQ(q.size(), 10u) << url;
    EXPECT_EQ(q.at("response_type"), "code");
    EXPECT_EQ(q.at("client_id"), "notes app");
    EXPECT_EQ(q.at("redirect_uri"), "https://notes.example/auth/corp/callback");
    EXPECT_EQ(q.at("scope"), "openid email profile") << "openid first, once";
    EXPECT_EQ(q.at("state"), s.state);
    EXPECT_EQ(q.at("nonce"), s.nonce);
    EXPECT_EQ(q.at("code_challenge"), pkce_challenge(s.code_verifier));
    EXPECT_EQ(q.at("code_challenge_method"), "S256");
    EXPECT_EQ(q.at("prompt"), "login");
    EXPECT_EQ(q.at("login_hint"), "a&b=c");
    EXPECT_EQ(url.find(s.code_verifier), std::string::npos) << "the verifier never leaves the service";

    // An endpoint with a query of its own keeps it; a fragment is dropped.
    const auto with_query = authorization_url("https://idp.example/auth?tenant=t1#x", "c", "https://r/", {}, s);
    EXPECT_EQ(with_query.rfind("https://idp.example/auth?tenant=t1&response_type=code&", 0), 0u) << with_query;
    EXPECT_EQ(query_of(with_query).at("scope"), "openid");
    EXPECT_EQ(with_query.find('#'), std::string::npos);
}
