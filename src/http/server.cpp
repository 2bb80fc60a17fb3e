#include "fauth/http/server.hpp"

#include <algorithm>
#include <csignal>
#include <mutex>
#include <pthread.h>
#include <stdexcept>
#include <string_view>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unordered_map>

#include <pistache/peer.h>

#include "fauth/http/api.hpp"
#include "fauth/http/client_address.hpp"

namespace fauth::http {

namespace {

// Open connections, overall and per client address, shared by every reactor thread's handler.
// Its mutex is a leaf: nothing is called while it is held, so it can be taken under any of
// Pistache's locks (a Peer, and with it its Slot, may be released under one) without deadlock.
class ConnectionCounts : public std::enable_shared_from_this<ConnectionCounts> {
public:
    ConnectionCounts(std::size_t max_open, std::size_t max_per_client) : max_open_(max_open), max_per_client_(max_per_client) {}

    // Held by an admitted connection's Peer: the connection counts until the Peer is destroyed,
    // however Pistache removes it (the client's close, an idle or request timeout, shutdown).
    class Slot {
    public:
        Slot(std::shared_ptr<ConnectionCounts> counts, std::string client)
            : counts_(std::move(counts)), client_(std::move(client)) {}
        ~Slot() { counts_->release(client_); }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;

    private:
        std::shared_ptr<ConnectionCounts> counts_;
        std::string client_;
    };

    // A slot for a connection from `client`, or nullptr when a limit is reached.
    std::shared_ptr<Slot> admit(std::string client) {
        {
            const std::lock_guard lock(mutex_);
            if (open_ >= max_open_) return nullptr;
            auto& from_client = per_client_[client];  // a new entry is not left at 0: the limit is at least 1
            if (from_client >= max_per_client_) return nullptr;
            ++from_client;
            ++open_;
        }
        try {
            return std::make_shared<Slot>(shared_from_this(), client);
        } catch (...) {
            release(client);
            throw;
        }
    }

private:
    void release(const std::string& client) noexcept {
        const std::lock_guard lock(mutex_);
        --open_;
        const auto it = per_client_.find(client);
        if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
    }

    const std::size_t max_open_;
    const std::size_t max_per_client_;
    std::mutex mutex_;
    std::size_t open_ = 0;
    std::unordered_map<std::string, std::size_t> per_client_;
};

// The name under which an admitted connection's Peer holds its Slot.
constexpr const char* kSlotKey = "fauth.slot";

// The socket of `peer` (Pistache 0.4 names it actualFd(); 0.0.5's fd() is the socket).
template <class Peer>
int socket_of(const Peer& peer) {
    if constexpr (requires { peer.actualFd(); }) {
        return static_cast<int>(peer.actualFd());
    } else {
        return static_cast<int>(peer.fd());
    }
}

// Answers 503 (best effort: the socket is new, so its send buffer has room) and shuts the
// socket down both ways, so that Pistache reads end-of-file at once and closes it on its usual
// path (the descriptor is closed once, by Pistache).
void refuse(const Pistache::Tcp::Peer& peer) noexcept {
    const int fd = socket_of(peer);
    if (fd < 0) return;
    if (peer.ssl() == nullptr) {
        static constexpr std::string_view body = R"({"detail":"Too many connections"})";
        static constexpr std::string_view answer =
            "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
            "Content-Type: application/json\r\nContent-Length: 33\r\n\r\n"
            R"({"detail":"Too many connections"})";
        static_assert(body.size() == 33 && answer.ends_with(body), "Content-Length must match the body");
        [[maybe_unused]] const auto sent = ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    ::shutdown(fd, SHUT_RDWR);
}

// Makes a connection's request parser as Pistache does (Http::Handler::onConnection, private to
// Http::Handler but public through Tcp::Handler), with the server's request size limit.
class ParserMaker final : public Pistache::Http::Handler {
public:
    HTTP_PROTOTYPE(ParserMaker)
    void onRequest(const Pistache::Http::Request&, Pistache::Http::ResponseWriter) override {}
    void make_parser(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
        static_cast<Pistache::Tcp::Handler&>(*this).onConnection(peer);
    }
};

// The handler Pistache runs, one clone per reactor thread, around the application's handler:
// - Connection limits. Pistache has no hook before a connection is taken into a reactor;
//   onConnection is the first point that sees it (its address and socket), on the reactor's
//   thread with none of Pistache's locks held. Over a limit the connection is refused there; a
//   request it had already sent is parsed but not handed on.
// - Idle connections. Pistache's keep-alive timer closes a peer marked idle once its parser is
//   older than the keep-alive timeout; Pistache marks a peer idle when it sends a response and
//   busy when a whole request has arrived. A new connection starts busy (then only the 60 s
//   header timeout applies): marking it idle here makes the idle timeout cover it too.
// - Keep-alive. Pistache 0.0.5 answers `Connection: Close` to an HTTP/1.1 request that has no
//   Connection header, so clients reconnect for every request. HTTP/1.1 connections are
//   persistent unless a side says close (RFC 9112 section 9.3): this handler says keep-alive for
//   them, and leaves Pistache's answer alone for `Connection: close` and for HTTP/1.0 without
//   keep-alive.
class ServerHandler final : public Pistache::Http::Handler {
public:
    HTTP_PROTOTYPE(ServerHandler)

    ServerHandler(std::shared_ptr<Pistache::Http::Handler> inner, std::shared_ptr<ConnectionCounts> counts)
        : inner_(std::move(inner)), counts_(std::move(counts)) {}
    // Each reactor thread gets its own clone, with its own clone of the wrapped handler; the
    // counts are shared.
    ServerHandler(const ServerHandler& other)
        : Pistache::Http::Handler(other),
          inner_(std::static_pointer_cast<Pistache::Http::Handler>(other.inner_->clone())),
          counts_(other.counts_) {}

    void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
        // Every peer needs its parser, refused ones too: Pistache's idle check reads it. The
        // Endpoint gives this handler the request size limit, so it is copied on each use.
        parsers_.setMaxRequestSize(getMaxRequestSize());
        parsers_.make_parser(peer);
        peer->setIdle(true);
        try {
            if (auto slot = counts_->admit(throttle_client(peer->address().host(), 64))) {
                peer->putData(kSlotKey, std::move(slot));
                return;
            }
        } catch (...) {}
        refuse(*peer);
    }
    void onRequest(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter response) override {
        if (!admitted(response)) return;  // refused: Pistache removes it on end of file
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
    // Whether the connection `response` answers was admitted (and is still there).
    static bool admitted(const Pistache::Http::ResponseWriter& response) {
        try {
            const auto peer = response.peer();  // throws when the peer is gone
            return peer && peer->tryGetData(kSlotKey) != nullptr;
        } catch (const std::exception&) {
            return false;
        }
    }

    std::shared_ptr<Pistache::Http::Handler> inner_;
    std::shared_ptr<ConnectionCounts> counts_;
    ParserMaker parsers_;
};

// The verify callback of ClientCertificates::any: every certificate is taken (the handshake still
// proves that the client holds its key); the binding is checked against the token's thumbprint.
int take_any_certificate(int, void*) { return 1; }

// Pistache 0.4's limit on a TLS handshake, where it has one (0.0.5 has none).
template <class Options>
void limit_handshake(Options& options, std::chrono::milliseconds timeout) {
    if constexpr (requires { options.sslHandshakeTimeout(timeout); }) options.sslHandshakeTimeout(timeout);
}

// Turns on TLS (and client certificates) on `endpoint` as `tls` says.
void use_tls(Pistache::Http::Endpoint& endpoint, const TlsOptions& tls) {
    if (tls.certificate_file.empty()) return;
    endpoint.useSSL(tls.certificate_file, tls.private_key_file);
    switch (tls.client_certificates) {
        case ClientCertificates::none: return;
        case ClientCertificates::verified: return endpoint.useSSLAuth(tls.client_ca_file);
        case ClientCertificates::any:
            // Pistache loads verify locations whatever the callback says: the CAs when given, else
            // the server's own certificate, which the callback makes irrelevant.
            return endpoint.useSSLAuth(tls.client_ca_file.empty() ? tls.certificate_file : tls.client_ca_file, "",
                                       &take_any_certificate);
    }
}

void check_tls(const TlsOptions& tls) {
    if (tls.certificate_file.empty()) {
        if (!tls.private_key_file.empty() || tls.client_certificates != ClientCertificates::none || !tls.client_ca_file.empty())
            throw std::invalid_argument("fauth: ServerOptions::tls needs certificate_file for its other settings");
        return;
    }
    if (tls.private_key_file.empty()) throw std::invalid_argument("fauth: ServerOptions::tls.private_key_file is empty");
    if (tls.client_certificates == ClientCertificates::verified && tls.client_ca_file.empty())
        throw std::invalid_argument("fauth: ServerOptions::tls verifies client certificates, but client_ca_file is empty");
    if (tls.handshake_timeout <= std::chrono::milliseconds::zero())
        throw std::invalid_argument("fauth: ServerOptions::tls.handshake_timeout must be positive");
}

void check_options(const ServerOptions& options) {
    check_tls(options.tls);
    if (options.threads < 1) throw std::invalid_argument("fauth: ServerOptions::threads must be at least 1");
    if (options.max_request_bytes == 0) throw std::invalid_argument("fauth: ServerOptions::max_request_bytes must be at least 1");
    if (options.max_connections == 0) throw std::invalid_argument("fauth: ServerOptions::max_connections must be at least 1");
    if (options.max_connections_per_address == 0)
        throw std::invalid_argument("fauth: ServerOptions::max_connections_per_address must be at least 1");
    if (options.idle_timeout <= std::chrono::milliseconds::zero())
        throw std::invalid_argument("fauth: ServerOptions::idle_timeout must be positive");
}

// ServerOptions::max_connections, lowered so that connections leave kReservedDescriptors of the
// process's descriptors free: a process out of descriptors cannot accept (Pistache 0.0.5's
// listener then spins on the pending connection) nor open anything else.
std::size_t connection_limit(std::size_t wanted) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
    const auto descriptors = static_cast<std::size_t>(limit.rlim_cur);
    if (descriptors <= kReservedDescriptors)
        throw std::runtime_error("fauth: the descriptor limit (RLIMIT_NOFILE) is " + std::to_string(descriptors) +
                                 ", which leaves none for connections once " + std::to_string(kReservedDescriptors) +
                                 " are kept for the rest of the process; raise it (ulimit -n, systemd's LimitNOFILE=)");
    return std::min(wanted, descriptors - kReservedDescriptors);
}

}  // namespace

Server::Server(Api& api, ServerOptions options) : Server(api.handler(), std::move(options)) {}

Server::Server(std::shared_ptr<Pistache::Http::Handler> handler, ServerOptions options)
    : handler_(std::move(handler)), options_(std::move(options)) {
    check_options(options_);
}

Server::~Server() { stop(); }

std::uint16_t Server::start() {
    if (endpoint_) return port_;
    const auto max_connections = connection_limit(options_.max_connections);
    const Pistache::Address address(options_.host, Pistache::Port(options_.port));
    auto endpoint = std::make_unique<Pistache::Http::Endpoint>(address);
    auto endpoint_options = Pistache::Http::Endpoint::options()
                                .threads(options_.threads)
                                .flags(Pistache::Tcp::Options::ReuseAddr)
                                .maxRequestSize(options_.max_request_bytes)
                                .keepaliveTimeout(options_.idle_timeout);
    limit_handshake(endpoint_options, options_.tls.handshake_timeout);
    endpoint->init(endpoint_options);
    try {
        use_tls(*endpoint, options_.tls);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("fauth: cannot use the TLS certificate, key or client CAs: ") + e.what());
    }
    endpoint->setHandler(
        std::make_shared<ServerHandler>(handler_, std::make_shared<ConnectionCounts>(max_connections,
                                                                                     options_.max_connections_per_address)));
    try {
        endpoint->serveThreaded();
    } catch (const std::exception& e) {
        throw std::runtime_error("fauth: cannot serve on " + options_.host + ":" + std::to_string(options_.port) + ": " +
                                 e.what());
    }
    port_ = static_cast<std::uint16_t>(endpoint->getPort());
    max_connections_ = max_connections;
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
    while (sigwait(&set, &signal) != 0) {}
    return signal;
}

}  // namespace fauth::http
