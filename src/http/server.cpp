#include "fauth/http/server.hpp"

#include <csignal>
#include <pthread.h>
#include <stdexcept>

#include "fauth/http/api.hpp"

namespace fauth::http {

namespace {

// Pistache 0.0.5 answers `Connection: Close` to an HTTP/1.1 request that has no Connection
// header, so clients reconnect for every request. HTTP/1.1 connections are persistent unless a
// side says close (RFC 9112 section 9.3): this handler says keep-alive for them, and leaves
// Pistache's answer alone for `Connection: close` and for HTTP/1.0 without keep-alive.
class PersistentConnections final : public Pistache::Http::Handler {
public:
    HTTP_PROTOTYPE(PersistentConnections)

    explicit PersistentConnections(std::shared_ptr<Pistache::Http::Handler> inner) : inner_(std::move(inner)) {}
    // Each reactor thread gets its own clone, with its own clone of the wrapped handler.
    PersistentConnections(const PersistentConnections& other)
        : Pistache::Http::Handler(other), inner_(std::static_pointer_cast<Pistache::Http::Handler>(other.inner_->clone())) {}

    void onRequest(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter response) override {
        using Pistache::Http::Header::Connection;
        if (request.version() == Pistache::Http::Version::Http11 && !request.headers().has<Connection>()) {
            response.headers().remove<Connection>();
            response.headers().add<Connection>(Pistache::Http::ConnectionControl::KeepAlive);
        }
        inner_->onRequest(request, std::move(response));
    }
    void onTimeout(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter response) override {
        inner_->onTimeout(request, std::move(response));
    }
    void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override { inner_->onDisconnection(peer); }

private:
    std::shared_ptr<Pistache::Http::Handler> inner_;
};

}  // namespace

Server::Server(Api& api, ServerOptions options) : Server(api.handler(), std::move(options)) {}

Server::Server(std::shared_ptr<Pistache::Http::Handler> handler, ServerOptions options)
    : handler_(std::make_shared<PersistentConnections>(std::move(handler))), options_(std::move(options)) {}

Server::~Server() { stop(); }

std::uint16_t Server::start() {
    if (endpoint_) return port_;
    const Pistache::Address address(options_.host, Pistache::Port(options_.port));
    auto endpoint = std::make_unique<Pistache::Http::Endpoint>(address);
    endpoint->init(Pistache::Http::Endpoint::options()
                       .threads(options_.threads)
                       .flags(Pistache::Tcp::Options::ReuseAddr)
                       .maxRequestSize(options_.max_request_bytes));
    endpoint->setHandler(handler_);
    try {
        endpoint->serveThreaded();
    } catch (const std::exception& e) {
        throw std::runtime_error("fauth: cannot serve on " + options_.host + ":" + std::to_string(options_.port) + ": " + e.what());
    }
    port_ = static_cast<std::uint16_t>(endpoint->getPort());
    endpoint_ = std::move(endpoint);
    return port_;
}

void Server::stop() {
    if (!endpoint_) return;
    endpoint_->shutdown();
    endpoint_.reset();
}

namespace {
sigset_t shutdown_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}
}  // namespace

void block_shutdown_signals() {
    sigset_t set = shutdown_signals();
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_shutdown_signal() {
    const sigset_t set = shutdown_signals();
    int signal = 0;
    while (sigwait(&set, &signal) != 0) {
    }
    return signal;
}

}  // namespace fauth::http
