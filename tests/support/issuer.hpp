// tests/support/issuer.hpp — a fauth issuer on a loopback port for the key-ring tests: it
// publishes a ring's public keys (JWK Set and discovery document) over plain HTTP, serves a broken
// document, and can be stopped and started again on the same port.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <fauth/http.hpp>

#include "support/keys.hpp"

namespace fauth::test {

// A real issuer on a loopback port: publishes its ring's keys and can be stopped and restarted.
class Issuer {
public:
    explicit Issuer(std::shared_ptr<fauth::KeyRing> ring) : ring_(std::move(ring)) { start(0); }

    void start(std::uint16_t port) {
        router_ = std::make_unique<Pistache::Rest::Router>();
        api_ = std::make_unique<fauth::http::Api>(*router_);
        api_->get("/.well-known/jwks.json", fauth::http::jwks_endpoint(ring_));
        api_->get("/.well-known/openid-configuration",
                  fauth::http::discovery_endpoint(ring_, "http://issuer.test", "http://issuer.test/.well-known/jwks.json",
                                                  "http://issuer.test/login"));
        api_->get("/broken.json", [](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter w) {
            w.send(Pistache::Http::Code::Ok, "{\"keys\": [ this is not json");
        });
        server_ = std::make_unique<fauth::http::Server>(*api_, fauth::http::ServerOptions{.port = port});
        port_ = server_->start();
    }
    void stop() { server_.reset(); }
    std::uint16_t port() const { return port_; }
    std::string url(const std::string& path = "/.well-known/jwks.json") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

private:
    std::shared_ptr<fauth::KeyRing> ring_;
    std::unique_ptr<Pistache::Rest::Router> router_;
    std::unique_ptr<fauth::http::Api> api_;
    std::unique_ptr<fauth::http::Server> server_;
    std::uint16_t port_ = 0;
};

/// A TokenConfig that signs or verifies with `ring`.
inline fauth::AuthConfig ring_config(std::shared_ptr<fauth::KeyRing> ring) {
    fauth::AuthConfig c;
    c.tokens.keys = std::move(ring);
    return c;
}

/// The keys and codec of an issuer (ES256 key "k1" signing, an HMAC key never published) and the
/// issuer serving them.
struct IssuerFixture : ::testing::Test {
    fauth::test::PemPair first = fauth::test::make_pem_pair("ES256");
    fauth::test::PemPair second = fauth::test::make_pem_pair("EdDSA");
    fauth::KeySet issuer_keys = [&] {
        fauth::KeySet s;
        s.add(fauth::Key::from_pem("ES256", first.private_pem, "k1"))
            .add(fauth::Key::hmac("HS256", std::string(32, 's'), "secret"));
        s.sign_with("k1");
        return s;
    }();
    std::shared_ptr<fauth::KeyRing> issuer_ring = std::make_shared<fauth::KeyRing>(issuer_keys);
    fauth::TokenCodec issuer_codec{ring_config(issuer_ring).tokens};
    Issuer issuer{issuer_ring};
};

}  // namespace fauth::test
