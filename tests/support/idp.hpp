// tests/support/idp.hpp — starts tests/support/idp.py, the test identity provider built on
// jwcrypto (Debian python3-jwcrypto): HTTPS with a CA it makes, discovery, JWK Sets, and a control
// port that mints tokens with its keys and verifies tokens against a JWK Set.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "support/http_client.hpp"

extern char** environ;

namespace fauth::test {

class TestIdp {
public:
    TestIdp() {
        work_ = std::filesystem::temp_directory_path() /
                ("fauth-idp-" + std::to_string(::getpid()) + "-" + std::to_string(++count()));
        int in[2], out[2];
        if (::pipe(in) != 0 || ::pipe(out) != 0) throw std::runtime_error("pipe");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_addclose(&actions, in[1]);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        const std::string script = (std::filesystem::path(__FILE__).parent_path() / "idp.py").string();
        const std::string dir = work_.string();
        char* argv[] = {const_cast<char*>("/usr/bin/python3"), const_cast<char*>(script.c_str()), const_cast<char*>(dir.c_str()),
                        nullptr};
        const int rc = posix_spawn(&pid_, "/usr/bin/python3", &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(in[0]);
        ::close(out[1]);
        stdin_ = in[1];
        if (rc != 0) throw std::runtime_error("could not start /usr/bin/python3 " + script);
        std::string line;
        char c;
        while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
        ::close(out[0]);
        if (line.empty()) throw std::runtime_error("the test identity provider did not start (is python3-jwcrypto installed?)");
        const auto ready = nlohmann::json::parse(line);
        https_ = ready["https"].get<int>();
        untrusted_ = ready["untrusted"].get<int>();
        misnamed_ = ready["misnamed"].get<int>();
        control_ = static_cast<std::uint16_t>(ready["control"].get<int>());
        ca_file_ = ready["ca"].get<std::string>();
    }
    ~TestIdp() {
        ::close(stdin_);  // the script exits when its input closes
        int status = 0;
        ::waitpid(pid_, &status, 0);
        std::error_code ignored;
        std::filesystem::remove_all(work_, ignored);
    }
    TestIdp(const TestIdp&) = delete;
    TestIdp& operator=(const TestIdp&) = delete;

    /// https://127.0.0.1:<port><path> on the server whose certificate the test CA signed.
    std::string url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(https_) + path; }
    /// The same on the server with a certificate from a CA nobody trusts.
    std::string untrusted_url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(untrusted_) + path; }
    /// The same on a server whose certificate (from the test CA) names another host.
    std::string misnamed_url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(misnamed_) + path; }
    /// The issuer of realm `realm`, as its discovery document names it.
    std::string issuer(const std::string& realm = "test") const { return url("/realms/" + realm); }
    /// The test CA's certificate (PEM file).
    const std::string& ca_file() const { return ca_file_; }

    /// A token signed by the provider: {"kid", "alg", "claims", optional "header", "foreign",
    /// "hmac_with_public_of"} (see idp.py).
    std::string mint(const nlohmann::json& request) const { return control("/mint", request)["token"].get<std::string>(); }
    /// Adds an ES256 key `kid` to the published set.
    void rotate(const std::string& kid) const { control("/rotate", {{"kid", kid}}); }
    /// While `down`, every realm's discovery document and JWK Set answer 503 (a provider outage).
    void set_down(bool down) const { control("/outage", {{"down", down}}); }
    /// The claims of `token` as jwcrypto verifies it against `jwks`; throws with its reason otherwise.
    nlohmann::json verify(const std::string& token, const nlohmann::json& jwks) const {
        return control("/verify", {{"token", token}, {"jwks", jwks}})["claims"];
    }
    /// How many times the JWK Sets were requested.
    int jwks_requests() const { return nlohmann::json::parse(request(control_, "GET", "/stats").body)["certs"].get<int>(); }

private:
    nlohmann::json control(const std::string& path, const nlohmann::json& body) const {
        const auto response = request(control_, "POST", path, {"Content-Type: application/json"}, body.dump());
        if (response.status != 200) throw std::runtime_error("idp " + path + ": " + response.body);
        return nlohmann::json::parse(response.body);
    }
    static int& count() {
        static int n = 0;
        return n;
    }

    std::filesystem::path work_;
    pid_t pid_ = -1;
    int stdin_ = -1;
    int https_ = 0, untrusted_ = 0, misnamed_ = 0;
    std::uint16_t control_ = 0;
    std::string ca_file_;
};

}  // namespace fauth::test
