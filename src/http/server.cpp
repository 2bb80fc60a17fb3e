#include "fauth/http/server.hpp"

#include <csignal>
#include <pthread.h>
#include <stdexcept>

#include "fauth/http/api.hpp"

namespace fauth::http {

Server::Server(Api& api, ServerOptions options) : Server(api.handler(), std::move(options)) {}

Server::Server(std::shared_ptr<Pistache::Http::Handler> handler, ServerOptions options)
    : handler_(std::move(handler)), options_(std::move(options)) {}

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
