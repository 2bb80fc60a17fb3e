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
    EXPECT_EQ(result.failure().kind, fauth::ErrorKind::bad_request);
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
    EXPECT_EQ(sealed.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos)
        << "a cookie value with nothing to escape";
    EXPECT_EQ(sealed.find(s.code_verifier), std::string::npos);
    std::string raw;
    ASSERT_TRUE(fauth::base64url_decode(sealed, raw));
    for (const auto& secret : {s.code_verifier, s.nonce, s.state, std::string("notes")})
        EXPECT_EQ(raw.find(secret), std::string::npos) << "readable in the cookie: " << secret;
    EXPECT_NE(seal.seal(s), sealed) << "a new IV each time";
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
    const std::string unopened = "sign-in state: cannot be opened (another key or provider, or changed)";
    EXPECT_EQ(refusal(seal.open(sealed, "corp", s.state, kNow + 600)), "sign-in state: expired");
    EXPECT_EQ(refusal(seal.open(sealed, "other", s.state, kNow)), unopened) << "sealed for another provider";
    EXPECT_EQ(refusal(seal.open(sealed, "corp", new_login_state("corp", "/", kNow).state, kNow)),
              "sign-in state: the state parameter does not match");
    EXPECT_EQ(refusal(seal.open(sealed, "corp", "", kNow)), "sign-in state: the state parameter does not match");
    EXPECT_EQ(refusal(LoginStateSeal(kSecret + "x").open(sealed, "corp", s.state, kNow)), unopened) << "another secret";
    // Any byte changed (IV, ciphertext, tag), or bytes cut off: refused.
    std::string raw;
    ASSERT_TRUE(fauth::base64url_decode(sealed, raw));
    for (const std::size_t at : {std::size_t{0}, std::size_t{12}, raw.size() / 2, raw.size() - 1}) {
        auto changed = raw;
        changed[at] = static_cast<char>(changed[at] ^ 1);
        EXPECT_EQ(refusal(seal.open(fauth::base64url_encode(changed), "corp", s.state, kNow)), unopened) << at;
    }
    EXPECT_EQ(refusal(seal.open(fauth::base64url_encode(raw.substr(0, raw.size() - 1)), "corp", s.state, kNow)), unopened);
    EXPECT_EQ(refusal(seal.open(fauth::base64url_encode(raw.substr(0, 27)), "corp", s.state, kNow)), "sign-in state: malformed");
    EXPECT_EQ(refusal(seal.open(std::string(4097, 'A'), "corp", s.state, kNow)), "sign-in state: too long");
    EXPECT_EQ(refusal(seal.open(std::string(4096, 'A'), "corp", s.state, kNow)), unopened) << "4,096 bytes are read";
    for (const std::string& garbage : std::vector<std::string>{"", ".", "%%%", "a.b", "AAAA"})
        EXPECT_FALSE(seal.open(garbage, "corp", s.state, kNow)) << garbage;
}

// `json` sealed as LoginStateSeal does, computed independently with OpenSSL's EVP calls: the key
// is HMAC-SHA-256 of the label under the secret; AES-256-GCM with the provider's associated data.
std::string sealed_by_hand(const std::string& json, const std::string& provider = "corp") {
    unsigned char key[32];
    std::size_t key_size = 0;
    const std::string label = "fauth oidc login state v1";
    EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, kSecret.data(), kSecret.size(),
                        reinterpret_cast<const unsigned char*>(label.data()), label.size(), key, sizeof key, &key_size),
              nullptr);
    const std::string aad = "fauth oidc login state v1|" + provider;
    std::string out(12 + json.size() + 16, '\0');
    auto* bytes = reinterpret_cast<unsigned char*>(out.data());
    for (int i = 0; i < 12; ++i) bytes[i] = static_cast<unsigned char>(i);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    EXPECT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key, bytes), 1);
    EXPECT_EQ(EVP_EncryptUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                                static_cast<int>(aad.size())),
              1);
    EXPECT_EQ(EVP_EncryptUpdate(ctx, bytes + 12, &n, reinterpret_cast<const unsigned char*>(json.data()),
                                static_cast<int>(json.size())),
              1);
    EXPECT_EQ(EVP_EncryptFinal_ex(ctx, bytes + 12 + n, &n), 1);
    EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, bytes + 12 + json.size()), 1);
    EVP_CIPHER_CTX_free(ctx);
    return fauth::base64url_encode(out);
}

// The ID token kept for RP-initiated logout: opened only for its provider and key, never as a
// login state (nor a login state as a hint), and not kept when its cookie would be too large.
TEST(LoginStateTest, AnIdTokenHintOpensOnlyAsAHintOfItsProvider) {
    const LoginStateSeal seal(kSecret);
    const std::string id_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
    const auto sealed = seal.seal_hint("corp", id_token);
    EXPECT_EQ(sealed.find("eyJ"), std::string::npos) << "sealed, not readable";
    EXPECT_EQ(seal.open_hint(sealed, "corp"), id_token);
    EXPECT_EQ(LoginStateSeal(kSecret).open_hint(sealed, "corp"), id_token);
    EXPECT_EQ(seal.open_hint(sealed, "other"), std::nullopt);
    EXPECT_EQ(LoginStateSeal(kSecret + "x").open_hint(sealed, "corp"), std::nullopt);
    EXPECT_EQ(seal.open_hint("not-sealed", "corp"), std::nullopt);
    EXPECT_FALSE(seal.open(sealed, "corp", "state", kNow)) << "a hint is no login state";
    const auto s = fauth::oidc::new_login_state("corp", "/", kNow);
    EXPECT_EQ(seal.open_hint(seal.seal(s), "corp"), std::nullopt) << "a login state is no hint";
    EXPECT_EQ(seal.seal_hint("corp", std::string(2801, 'a')), "") << "too large for a cookie: not kept";
    EXPECT_NE(seal.seal_hint("corp", std::string(2800, 'a')), "");
    EXPECT_THROW(seal.seal_hint("bad name", id_token), std::invalid_argument);
}

TEST(LoginStateTest, ItsFormatIsDocumentedAndWhatLacksAFieldIsRefused) {
    const LoginStateSeal seal(kSecret);
    const auto good = sealed_by_hand(R"({"s":"st","n":"no","v":"ve","r":"/","e":1800000600})");
    const auto opened = seal.open(good, "corp", "st", kNow);
    ASSERT_TRUE(opened) << opened.failure().log;
    EXPECT_EQ(opened->nonce, "no");
    EXPECT_EQ(opened->code_verifier, "ve");
    EXPECT_EQ(opened->provider, "corp");
    // Well sealed, but not a state: never used.
    for (const std::string& json :
         std::vector<std::string>{R"({"s":"st","n":"no","v":"ve","r":"/"})",
                                  R"({"s":"st","n":"no","v":"ve","r":"/","e":"1800000600"})",
                                  R"({"s":"st","n":"no","v":"ve","r":"/","e":1800000600.5})",
                                  R"({"s":"st","n":"no","v":"ve","r":"/","e":18446744073709551615})",
                                  R"({"s":"st","n":1,"v":"ve","r":"/","e":1800000600})", R"(["corp"])", "not json", "null", ""})
        EXPECT_EQ(refusal(seal.open(sealed_by_hand(json), "corp", "st", kNow)), "sign-in state: malformed") << json;
    EXPECT_EQ(refusal(seal.open(sealed_by_hand(R"({"s":"st","n":"no","v":"ve","r":"/","e":1900000000})"), "corp", "st", kNow)),
              "sign-in state: lives longer than a sign-in may");
}

TEST(LoginStateTest, RefusesWhatItCannotMakeSafely) {
    EXPECT_THROW(LoginStateSeal(std::string(31, 'k')), fauth::ConfigError);
    EXPECT_NO_THROW(LoginStateSeal(std::string(32, 'k')));
    EXPECT_THROW(new_login_state("", "/", kNow), fauth::ConfigError);
    EXPECT_THROW(new_login_state("a/b", "/", kNow), fauth::ConfigError);
    EXPECT_THROW(new_login_state("corp", "/", kNow, std::chrono::seconds(0)), fauth::ConfigError);
    EXPECT_THROW(new_login_state("corp", "/", kNow, std::chrono::seconds(3601)), fauth::ConfigError);
    // A return path that is not this service's: "/" instead (no open redirect).
    for (const std::string& elsewhere :
         std::vector<std::string>{"https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example", "evil", "",
                                  "/a b", "/\xc3\x28", "/" + std::string(1024, 'a')})
        EXPECT_EQ(new_login_state("corp", elsewhere, kNow).return_to, "/") << elsewhere;
    EXPECT_EQ(new_login_state("corp", "/notes/1?x=%2F#top", kNow).return_to, "/notes/1?x=%2F#top");
    auto made = new_login_state("corp", "/", kNow);
    made.return_to = "//evil.example";
    EXPECT_THROW((void)LoginStateSeal(kSecret).seal(made), std::invalid_argument);
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
    EXPECT_EQ(authorization_url("https://idp.example/auth?", "c", "https://r/", {}, s)
                  .rfind("https://idp.example/auth?response_type=", 0),
              0u);
    EXPECT_EQ(authorization_url("https://idp.example/auth?a=1&", "c", "https://r/", {}, s)
                  .rfind("https://idp.example/auth?a=1&response_type=", 0),
              0u);
    EXPECT_EQ(query_of(authorization_url("https://i/", "c", "https://r/", {}, s, {{"ui_locales", ""}})).at("ui_locales"), "");

    // What would change the flow, or is missing: refused, not sent.
    for (const char* name : {"code_challenge_method", "response_type", "redirect_uri", "response_mode", "request", "request_uri",
                             "state", "nonce", "scope", "client_id", "code_challenge", ""})
        EXPECT_THROW((void)authorization_url("https://i/", "c", "https://r/", {}, s, {{name, "x"}}), fauth::ConfigError) << name;
    EXPECT_THROW((void)authorization_url("https://i/", "", "https://r/", {}, s), fauth::ConfigError);
    EXPECT_THROW((void)authorization_url("", "c", "https://r/", {}, s), fauth::ConfigError);
    EXPECT_THROW((void)authorization_url("#only", "c", "https://r/", {}, s), fauth::ConfigError);
    EXPECT_THROW((void)authorization_url("https://i/", "c", "https://r/", {"a b"}, s), fauth::ConfigError);
    EXPECT_THROW((void)authorization_url("https://i/", "c", "https://r/", {""}, s), fauth::ConfigError);
}
