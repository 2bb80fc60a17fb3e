/// @file
/// fauth/http/server.hpp — a Pistache HTTP endpoint with sensible settings, started and stopped
/// in one place, and the SIGINT/SIGTERM handling a service needs to shut down cleanly.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <pistache/endpoint.h>

namespace fauth::http {

class Api;

/// The client certificates a TLS Server asks for (mutual TLS).
enum class ClientCertificates {
    none,      ///< none asked for
    verified,  ///< every client must present one that chains to TlsOptions::client_ca_file
    any,       ///< every client must present one, any one whose key it holds (RFC 8705 section 2.2:
               ///< self-signed certificates, which a certificate-bound token names by thumbprint)
};

/// HTTPS with Pistache's own TLS (OpenSSL). Pistache shakes hands on its accepting thread, so a
/// client that connects and stalls holds up every other (for handshake_timeout with Pistache 0.4;
/// without end with 0.0.5, which has no such timeout): in front of untrusted clients, prefer a
/// TLS-terminating proxy (see CertificateBinding::client_cert_header). Pistache writes to TLS
/// connections with SSL_write, which raises SIGPIPE when a client has gone: block it
/// (block_shutdown_signals) or ignore it before start().
struct TlsOptions {
    /// PEM file of the server's certificate, then its chain; empty: plain HTTP.
    std::string certificate_file;
    /// PEM file of its private key.
    std::string private_key_file;
    /// Client certificates asked for. Pistache then refuses a connection without one: clients
    /// without certificates need another Server (or a proxy).
    ClientCertificates client_certificates = ClientCertificates::none;
    /// PEM file of the CAs that verified client certificates chain to.
    std::string client_ca_file;
    /// Longest TLS handshake (Pistache 0.4 and later; 0.0.5 has no limit).
    std::chrono::milliseconds handshake_timeout = std::chrono::seconds(5);
};

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
    /// HTTPS (and client certificates), when its certificate_file is set.
    TlsOptions tls;
};

/// Descriptors start() keeps out of max_connections for the listener, Pistache's reactors, stores,
/// HTTP clients and logs.
inline constexpr std::size_t kReservedDescriptors = 128;

/// A running Pistache endpoint. Not copyable; stops when destroyed.
class Server {
public:
    /// Prepares a server for `api`'s routes (call after every route is added). Throws
    /// std::invalid_argument when a limit in `options` is zero or its TLS options are incomplete.
    Server(Api& api, ServerOptions options);
    /// Prepares a server for any Pistache handler. Throws std::invalid_argument when a limit in
    /// `options` is zero.
    Server(std::shared_ptr<Pistache::Http::Handler> handler, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and serves on background threads; returns the bound port. Throws std::runtime_error
    /// when the address cannot be bound, RLIMIT_NOFILE leaves no descriptor for connections, or
    /// the TLS files cannot be loaded.
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
