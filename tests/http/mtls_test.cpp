// Certificate-bound access tokens (RFC 8705) end to end: Pistache's own TLS asking for client
// certificates (a CA, server and client certificates made here with the openssl command, requests
// made with the curl command), and a trusted proxy's RFC 9440 Client-Cert header on plain HTTP;
// a token bound to both a certificate and a DPoP key; the OpenAPI document and RFC 9728 metadata.
#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>

#include <fauth/http.hpp>
#include <fauth/testing.hpp>

#include "fauth/core/base64url.hpp"
#include "fauth/core/dpop.hpp"
#include "fauth/http/schemes/mtls.hpp"

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;

namespace {

namespace fs = std::filesystem;

// The output of shell command `command`; throws when it fails.
std::string run(const std::string& command) {
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
    std::string out;
    std::array<char, 4096> buffer{};
    while (const auto n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    if (status != 0) throw std::runtime_error("failed (" + std::to_string(status) + "): " + command + "\n" + out);
    return out;
}

// A CA, a server certificate for 127.0.0.1, two client certificates it signs and a self-signed
// one, made with the openssl command in a directory of this process's own.
struct Pki {
    fs::path dir;
    Pki() {
        dir = fs::temp_directory_path() / ("fauth-mtls-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        const std::string d = dir.string();
        const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        run("cd " + d + " && openssl req -x509 " + ec +
            " -keyout ca.key -out ca.pem -days 2 -subj /CN=fauth-test-ca"
            " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>&1");
        issue("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth");
        issue("alice", "extendedKeyUsage=clientAuth");
        issue("mallory", "extendedKeyUsage=clientAuth");
        run("cd " + d + " && openssl req -x509 " + ec + " -keyout self.key -out self.pem -days 2 -subj /CN=self 2>&1");
    }
    ~Pki() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
    }
    void issue(const std::string& name, const std::string& extensions) const {
        const std::string d = dir.string();
        std::ofstream(dir / (name + ".ext")) << extensions << "\n";
        run("cd " + d + " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + name + ".key -out " +
            name + ".csr -subj /CN=" + name + " 2>&1 && openssl x509 -req -in " + name +
            ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out " + name + ".pem -extfile " + name + ".ext 2>&1");
    }
    std::string pem(const std::string& name) const { return (dir / (name + ".pem")).string(); }
    std::string key(const std::string& name) const { return (dir / (name + ".key")).string(); }
    // RFC 8705 section 3.1's x5t#S256 of certificate `name`, computed by the openssl command.
    std::string thumbprint(const std::string& name) const {
        auto b64 = run("openssl x509 -in " + pem(name) + " -outform DER | openssl dgst -sha256 -binary | openssl base64 -A");
        std::string url;
        for (const char ch : b64) {
            if (ch == '=' || ch == '\n') continue;
            url += ch == '+' ? '-' : ch == '/' ? '_' : ch;
        }
        return url;
    }
    // RFC 9440's Client-Cert value of certificate `name`: its DER in standard base64, between colons.
    std::string client_cert_header(const std::string& name) const {
        auto b64 = run("openssl x509 -in " + pem(name) + " -outform DER | openssl base64 -A");
        while (!b64.empty() && b64.back() == '\n') b64.pop_back();
        return ":" + b64 + ":";
    }
};

const Pki& pki() {
    static const Pki made;
    return made;
}

struct Member {
    std::string id;
    bool is_active = true;
};

// The reasons of the refusals reported, in order.
struct Events {
    std::mutex mutex;
    std::vector<std::string> reasons;
    std::string last() {
        std::lock_guard lock(mutex);
        return reasons.empty() ? std::string() : reasons.back();
    }
};

fauth::AuthConfig make_config(const std::shared_ptr<Events>& events) {
    fauth::AuthConfig c;
    c.tokens.secret_key = "mtls-test-secret-of-at-least-32-bytes";
    c.bcrypt_cost = 4;
    c.tokens.log = [](std::string_view) {};
    c.tokens.security_events = [events](const fauth::SecurityEvent& e) {
        std::lock_guard lock(events->mutex);
        events->reasons.push_back(e.reason);
    };
    return c;
}

struct App {
    explicit App(fauth::http::HttpConfig http)
        : auth(make_config(events), [](const fauth::TokenPayload& p) { return std::optional<Member>(Member{p.sub}); }),
          api(router, std::move(http)) {
        const auto whoami = [](const Request&, ResponseWriter w, const fauth::Principal<Member>& p) {
            fauth::http::send_json(w, Code::Ok, {{"id", p.user.id}, {"scheme", fauth::scheme_name(p.scheme)}});
        };
        api.get("/me", auth.require(fauth::Rule(), whoami));
        api.serve_openapi("/openapi.json", {.title = "mtls", .version = "1"});
        api.serve_resource_metadata({.resource = "http://127.0.0.1", .authorization_servers = {}});
    }
    // An access token for `sub`, with `cnf` when it is an object.
    std::string token(const std::string& sub, nlohmann::json cnf = nullptr) {
        nlohmann::json extra = nlohmann::json::object();
        if (cnf.is_object()) extra["cnf"] = std::move(cnf);
        return auth.tokens().issue(fauth::TokenType::access, sub, {"read"}, std::move(extra));
    }
    std::string bound_token(const std::string& sub, const std::string& certificate) {
        return token(sub, {{"x5t#S256", pki().thumbprint(certificate)}});
    }
    std::shared_ptr<Events> events = std::make_shared<Events>();
    fauth::AuthProvider<Member> auth;
    Pistache::Rest::Router router;
    fauth::http::Api api;
};

fauth::http::HttpConfig binding_config(fauth::http::CertificateBindingMode mode) {
    fauth::http::HttpConfig http;
    http.certificate_binding.mode = mode;
    return http;
}

// A request made over HTTPS by the curl command, with certificate `certificate` (none: empty).
struct Answer {
    int status = 0;  // 0: no HTTP answer (the handshake failed)
    std::string body;
};
Answer curl(std::uint16_t port, const std::string& certificate, const std::string& token) {
    std::string command = "curl -sS --max-time 10 --cacert " + pki().pem("ca") + " -o - -w '\\n%{http_code}'";
    if (!certificate.empty()) command += " --cert " + pki().pem(certificate) + " --key " + pki().key(certificate);
    if (!token.empty()) command += " -H 'Authorization: Bearer " + token + "'";
    command += " https://127.0.0.1:" + std::to_string(port) + "/me 2>/dev/null; true";
    const auto out = run(command);
    const auto newline = out.rfind('\n');
    Answer answer;
    answer.body = out.substr(0, newline == std::string::npos ? 0 : newline);
    answer.status = std::atoi(out.substr(newline == std::string::npos ? 0 : newline + 1).c_str());
    return answer;
}

// `api` served over HTTPS with Pistache's TLS, asking every client for a certificate.
struct TlsServer {
    TlsServer(fauth::http::Api& api, fauth::http::ClientCertificates clients)
        : server(api, {.tls = {.certificate_file = pki().pem("server"),
                               .private_key_file = pki().key("server"),
                               .client_certificates = clients,
                               .client_ca_file = pki().pem("ca")}}) {
        // Pistache writes to TLS connections with SSL_write, which raises SIGPIPE when a client
        // has gone (curl without a certificate): a service blocks it (block_shutdown_signals),
        // this test ignores it.
        std::signal(SIGPIPE, SIG_IGN);
        server.start();
    }
    fauth::http::Server server;
};

}  // namespace

// --- Pistache's own TLS -----------------------------------------------------------------------

TEST(MtlsTls, ABoundTokenIsTakenOnlyFromTheClientHoldingItsCertificate) {
    App app(binding_config(fauth::http::CertificateBindingMode::allow));
    TlsServer tls(app.api, fauth::http::ClientCertificates::verified);
    const auto port = tls.server.port();
    const auto token = app.bound_token("alice", "alice");

    const auto ok = curl(port, "alice", token);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(nlohmann::json::parse(ok.body)["id"], "alice");
    EXPECT_EQ(nlohmann::json::parse(ok.body)["scheme"], "bearer");  // the binding is the token's, the scheme Bearer's

    // Another client of the same CA, with alice's token: refused.
    const auto stolen = curl(port, "mallory", token);
    EXPECT_EQ(stolen.status, 401) << stolen.body;
    EXPECT_EQ(nlohmann::json::parse(stolen.body)["detail"], "Invalid token");
    EXPECT_EQ(app.events->last(), "Invalid token: certificate mismatch");

    // An unbound token is taken as ever (allow), from any client with a certificate.
    EXPECT_EQ(curl(port, "mallory", app.token("mallory")).status, 200);
    // Without a client certificate, Pistache refuses the connection itself.
    EXPECT_EQ(curl(port, "", token).status, 0);
    // A certificate from no trusted CA is refused at the handshake too (ClientCertificates::verified).
    EXPECT_EQ(curl(port, "self", token).status, 0);
}

TEST(MtlsTls, AnyCertificateServesSelfSignedClients) {
    App app(binding_config(fauth::http::CertificateBindingMode::require));
    TlsServer tls(app.api, fauth::http::ClientCertificates::any);
    const auto port = tls.server.port();
    // RFC 8705 section 2.2: a self-signed certificate, named by its thumbprint alone.
    const auto ok = curl(port, "self", app.bound_token("self", "self"));
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(curl(port, "alice", app.bound_token("self", "self")).status, 401);
    // Required: an unbound token is refused, even from a client with a certificate.
    EXPECT_EQ(curl(port, "self", app.token("self")).status, 401);
    EXPECT_EQ(app.events->last(), "Invalid token: token is not certificate-bound");
    // Still no connection without a certificate.
    EXPECT_EQ(curl(port, "", app.bound_token("self", "self")).status, 0);
}

TEST(MtlsTls, BindingOffRefusesBoundTokensEvenWithTheirCertificate) {
    App app(binding_config(fauth::http::CertificateBindingMode::off));
    TlsServer tls(app.api, fauth::http::ClientCertificates::verified);
    EXPECT_EQ(curl(tls.server.port(), "alice", app.bound_token("alice", "alice")).status, 401);
    EXPECT_EQ(app.events->last(), "Invalid token: certificate-bound token without its certificate (certificate binding is off)");
    EXPECT_EQ(curl(tls.server.port(), "alice", app.token("alice")).status, 200);
}

TEST(MtlsTls, IncompleteTlsOptionsAreRefused) {
    App app(binding_config(fauth::http::CertificateBindingMode::allow));
    using fauth::http::ClientCertificates;
    EXPECT_THROW(fauth::http::Server(app.api, {.tls = {.certificate_file = pki().pem("server")}}), std::invalid_argument);
    EXPECT_THROW(fauth::http::Server(app.api, {.tls = {.certificate_file = pki().pem("server"),
                                                       .private_key_file = pki().key("server"),
                                                       .client_certificates = ClientCertificates::verified}}),
                 std::invalid_argument);
    EXPECT_THROW(fauth::http::Server(app.api, {.tls = {.client_certificates = ClientCertificates::any}}), std::invalid_argument);
    // A key that is not the certificate's: refused when the server starts.
    fauth::http::Server mismatched(app.api,
                                   {.tls = {.certificate_file = pki().pem("server"), .private_key_file = pki().key("alice")}});
    EXPECT_THROW(mismatched.start(), std::runtime_error);
}

// --- Behind a TLS-terminating proxy: RFC 9440 Client-Cert -------------------------------------

namespace {

fauth::http::HttpConfig proxy_config(std::vector<std::string> proxies,
                                     fauth::http::CertificateBindingMode mode = fauth::http::CertificateBindingMode::allow) {
    auto http = binding_config(mode);
    http.trusted_proxies = std::move(proxies);
    http.certificate_binding.client_cert_header = true;
    return http;
}

}  // namespace

TEST(MtlsProxy, ClientCertFromATrustedProxyBindsTheToken) {
    App app(proxy_config({"127.0.0.1"}));
    fauth::testing::TestServer server(app.api);
    const auto client = server.client().with_bearer(app.bound_token("alice", "alice"));
    const auto ok = client.get("/me", {"Client-Cert: " + pki().client_cert_header("alice")});
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.json()["id"], "alice");
    // Structured-field parameters after the byte sequence are ignored (RFC 8941).
    EXPECT_EQ(client.get("/me", {"Client-Cert: " + pki().client_cert_header("alice") + ";x=1"}).status, 200);

    const auto other = client.get("/me", {"Client-Cert: " + pki().client_cert_header("mallory")});
    EXPECT_TRUE(fauth::testing::refused(other, 401, "Invalid token"));
    EXPECT_EQ(other.header("WWW-Authenticate"), "Bearer error=\"invalid_token\"");
    EXPECT_EQ(app.events->last(), "Invalid token: certificate mismatch");

    EXPECT_EQ(client.get("/me").status, 401);
    EXPECT_EQ(app.events->last(), "Invalid token: certificate-bound token without its certificate");
    // Unbound tokens do not need one (allow).
    EXPECT_EQ(server.client().with_bearer(app.token("bob")).get("/me").status, 200);
}

TEST(MtlsProxy, AMalformedClientCertIsRefused) {
    App app(proxy_config({"127.0.0.1"}));
    fauth::testing::TestServer server(app.api);
    const auto client = server.client().with_bearer(app.bound_token("alice", "alice"));
    const auto good = pki().client_cert_header("alice");
    const auto base64 = good.substr(1, good.size() - 2);
    for (const std::string& bad : std::vector<std::string>{base64,                          // no colons
                                                           ":" + base64,                    // no closing colon
                                                           "::",                            // no bytes
                                                           ":" + base64 + "=:",             // bad padding
                                                           ":" + base64 + ":, " + good,     // two of them
                                                           ":" + base64.substr(1) + ":",    // not a multiple of four
                                                           ":-" + base64.substr(1) + ":"})  // base64url is not base64
    {
        const auto r = client.get("/me", {"Client-Cert: " + bad});
        EXPECT_TRUE(fauth::testing::refused(r, 401, "Invalid token")) << bad;
        EXPECT_EQ(app.events->last(), "Invalid token: malformed Client-Cert header from a trusted proxy") << bad;
    }
}

TEST(MtlsProxy, ClientCertFromAnUntrustedPeerIsIgnored) {
    App app(proxy_config({"192.0.2.1"}));  // the test client (127.0.0.1) is not the proxy
    fauth::testing::TestServer server(app.api);
    const auto client = server.client().with_bearer(app.bound_token("alice", "alice"));
    EXPECT_EQ(client.get("/me", {"Client-Cert: " + pki().client_cert_header("alice")}).status, 401);
    EXPECT_EQ(app.events->last(), "Invalid token: certificate-bound token without its certificate");
    // Nor is a malformed one read: a client's header means nothing.
    EXPECT_EQ(server.client().with_bearer(app.token("bob")).get("/me", {"Client-Cert: nonsense"}).status, 200);
}

TEST(MtlsProxy, ATokenBoundToACertificateAndADpopKeyNeedsBoth) {
    auto http = proxy_config({"127.0.0.1"});
    http.dpop.mode = fauth::http::DpopMode::allow;
    http.dpop.policy.algorithms = {"ES256"};
    App app(std::move(http));
    fauth::testing::TestServer server(app.api);
    // The holder's DPoP key, and its proofs (signed with fauth's code; tests/core/dpop_test.cpp
    // checks proofs of an independent implementation).
    const auto key = fauth::Key::generate("ES256");
    auto jwk = key.public_jwk();
    jwk.erase("kid"), jwk.erase("use"), jwk.erase("alg");
    const auto jkt = fauth::jwk_thumbprint(jwk);
    int counter = 0;
    const auto proof = [&](const std::string& token) {
        const nlohmann::json header = {{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", jwk}};
        const nlohmann::json claims =
            {{"jti", "jti-" + std::to_string(++counter)},
             {"htm", "GET"},
             {"htu", "http://127.0.0.1:" + std::to_string(server.port()) + "/me"},
             {"iat",
              std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()},
             {"ath", fauth::sha256_base64url(token)}};
        std::string input = fauth::base64url_encode(header.dump()) + "." + fauth::base64url_encode(claims.dump());
        return input + "." + fauth::base64url_encode(key.sign(input));
    };
    const auto token = app.token("alice", {{"jkt", jkt}, {"x5t#S256", pki().thumbprint("alice")}});
    const auto client = server.client();
    const auto both = client.get("/me", {"Authorization: DPoP " + token, "DPoP: " + proof(token),
                                         "Client-Cert: " + pki().client_cert_header("alice")});
    ASSERT_EQ(both.status, 200) << both.body;
    EXPECT_EQ(both.json()["scheme"], "dpop");
    // The proof without the certificate, or with another: refused before the proof is looked at.
    EXPECT_EQ(client.get("/me", {"Authorization: DPoP " + token, "DPoP: " + proof(token)}).status, 401);
    EXPECT_EQ(app.events->last(), "Invalid token: certificate-bound token without its certificate");
    EXPECT_EQ(client
                  .get("/me", {"Authorization: DPoP " + token, "DPoP: " + proof(token),
                               "Client-Cert: " + pki().client_cert_header("mallory")})
                  .status,
              401);
    EXPECT_EQ(app.events->last(), "Invalid token: certificate mismatch");
    // The certificate without the proof: refused by DPoP's own check.
    const auto no_proof =
        client.get("/me", {"Authorization: DPoP " + token, "Client-Cert: " + pki().client_cert_header("alice")});
    EXPECT_EQ(no_proof.status, 401);
    EXPECT_EQ(app.events->last(), "invalid DPoP proof: no DPoP header");
    // As Bearer with the certificate: refused, the token is DPoP-bound.
    EXPECT_EQ(client.with_bearer(token).get("/me", {"Client-Cert: " + pki().client_cert_header("alice")}).status, 401);
    EXPECT_EQ(app.events->last(), "Invalid token: DPoP-bound token presented without its proof, as bearer");
}

// --- Documents and configuration --------------------------------------------------------------

TEST(MtlsDocuments, OpenApiAndMetadataSayWhatIsRequired) {
    {
        App app(binding_config(fauth::http::CertificateBindingMode::require));
        fauth::testing::TestServer server(app.api);
        const auto doc = server.client().get("/openapi.json").json();
        EXPECT_EQ(doc["components"]["securitySchemes"]["mutualTLS"]["type"], "mutualTLS");
        const auto& security = doc["paths"]["/me"]["get"]["security"];
        ASSERT_FALSE(security.empty());
        for (const auto& alternative : security) EXPECT_TRUE(alternative.contains("mutualTLS")) << alternative;
        const auto metadata = server.client().get("/.well-known/oauth-protected-resource").json();
        EXPECT_EQ(metadata["tls_client_certificate_bound_access_tokens"], true);
    }
    {
        App app(binding_config(fauth::http::CertificateBindingMode::allow));
        fauth::testing::TestServer server(app.api);
        const auto doc = server.client().get("/openapi.json").json();
        EXPECT_EQ(doc["components"]["securitySchemes"]["mutualTLS"]["type"], "mutualTLS");
        for (const auto& alternative : doc["paths"]["/me"]["get"]["security"])
            EXPECT_FALSE(alternative.contains("mutualTLS")) << alternative;
        EXPECT_FALSE(server.client()
                         .get("/.well-known/oauth-protected-resource")
                         .json()
                         .contains("tls_client_certificate_bound_access_tokens"));
    }
    {
        App app(binding_config(fauth::http::CertificateBindingMode::off));
        fauth::testing::TestServer server(app.api);
        EXPECT_FALSE(server.client().get("/openapi.json").json()["components"]["securitySchemes"].contains("mutualTLS"));
    }
}

TEST(MtlsDocuments, TheProxyHeaderNeedsTrustedProxiesAndBindingOn) {
    auto http = binding_config(fauth::http::CertificateBindingMode::allow);
    http.certificate_binding.client_cert_header = true;
    EXPECT_THROW(fauth::http::in_force(http), fauth::ConfigError);  // no trusted proxy
    http.trusted_proxies = {"127.0.0.1"};
    EXPECT_NO_THROW(fauth::http::in_force(http));
    http.certificate_binding.mode = fauth::http::CertificateBindingMode::off;
    EXPECT_THROW(fauth::http::in_force(http), fauth::ConfigError);
}

TEST(MtlsDocuments, ClientCertValuesParse) {
    const std::string der = "\x30\x03\x02\x01\x05";
    EXPECT_EQ(fauth::http::parse_client_cert(":MAMCAQU=:"), der);
    EXPECT_EQ(fauth::http::parse_client_cert(" :MAMCAQU=:;a=1 "), der);
    EXPECT_FALSE(fauth::http::parse_client_cert(":MAMCAQU:"));  // padding is required in base64 (RFC 8941 4.2.7)
    EXPECT_FALSE(fauth::http::parse_client_cert(":MAMCAQU=: x"));
    EXPECT_FALSE(fauth::http::parse_client_cert(":MA-CA_U=:"));
    EXPECT_TRUE(fauth::http::parse_client_cert(":MA+CA/U=:"));
    EXPECT_FALSE(fauth::http::parse_client_cert(""));
}
