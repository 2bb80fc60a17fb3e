// fauth/http/server.hpp — a Pistache HTTP endpoint with sensible settings, started and stopped
// in one place, and the SIGINT/SIGTERM handling a service needs to shut down cleanly.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <pistache/endpoint.h>

namespace fauth::http {

class Api;

/// How a Server listens.
struct ServerOptions {
    /// Address to bind; loopback by default.
    std::string host = "127.0.0.1";
    /// Port to bind; 0 picks a free one (read it from Server::port()).
    std::uint16_t port = 0;
    /// Reactor threads.
    int threads = 1;
    /// Largest request (headers and body) Pistache accepts; larger ones get 413.
    std::size_t max_request_bytes = 32 * 1024;
    /// Most connections open at once; one more is answered 503 and closed at once. start() lowers
    /// it to the descriptor limit (RLIMIT_NOFILE) minus kReservedDescriptors.
    std::size_t max_connections = 10'000;
    /// Most connections open at once from one client address (the socket peer; IPv6 per /64);
    /// one more is answered 503 and closed at once. Behind a reverse proxy every connection comes
    /// from the proxy: raise it to the proxy's number of upstream connections.
    std::size_t max_connections_per_address = 64;
    /// A connection with no request in progress (since it opened or since its last request
    /// arrived) is closed once idle longer than this, checked every half second. A request must
    /// arrive whole within it; one being handled is never cut by it.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(15);
};

/// Descriptors start() keeps out of max_connections for the listener, Pistache's reactors, stores,
/// HTTP clients and logs.
inline constexpr std::size_t kReservedDescriptors = 128;

/// A running Pistache endpoint. Not copyable; stops when destroyed.
class Server {
public:
    /// Prepares a server for `api`'s routes (call after every route is added). Throws
    /// std::invalid_argument when a limit in `options` is zero.
    Server(Api& api, ServerOptions options);
    /// Prepares a server for any Pistache handler. Throws std::invalid_argument when a limit in
    /// `options` is zero.
    Server(std::shared_ptr<Pistache::Http::Handler> handler, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and serves on background threads; returns the bound port. Throws std::runtime_error
    /// when the address cannot be bound or RLIMIT_NOFILE leaves no descriptor for connections.
    std::uint16_t start();
    /// Stops accepting and joins Pistache's threads; safe to call twice.
    void stop();
    /// The bound port (0 before start).
    std::uint16_t port() const noexcept { return port_; }
    /// The limit on open connections in force: ServerOptions::max_connections bounded by the
    /// descriptor limit (0 before start).
    std::size_t max_connections() const noexcept { return max_connections_; }

private:
    std::shared_ptr<Pistache::Http::Handler> handler_;
    ServerOptions options_;
    std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
    std::uint16_t port_ = 0;
    std::size_t max_connections_ = 0;
};

/// Blocks SIGINT, SIGTERM and SIGPIPE in the calling thread and every thread it starts later; call
/// it first thing in main, then wait_for_shutdown_signal() once the server runs.
void block_shutdown_signals();

/// Waits for SIGINT or SIGTERM (blocked by block_shutdown_signals) and returns its number.
int wait_for_shutdown_signal();

}  // namespace fauth::http
