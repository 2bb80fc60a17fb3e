// Test helper: a real redis-server on a free loopback port, started and stopped by the test.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

namespace fauth::test {

/// A free TCP port on 127.0.0.1 (bound to port 0, then released).
inline std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

/// True when something accepts TCP connections on 127.0.0.1:`port`.
inline bool port_open(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

/// redis-server without persistence on a free loopback port; stopped when destroyed.
class RedisServer {
public:
    RedisServer() : port_(free_port()) { start(); }
    ~RedisServer() { stop(); }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    /// Starts the server (again) on the same port and waits until it accepts connections.
    void start() {
        if (pid_ > 0) return;
        const std::string port = std::to_string(port_);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                     "no", "--protected-mode", "yes", "--loglevel", "warning", nullptr);
            ::_exit(127);
        }
        for (int i = 0; i < 200; ++i) {
            if (port_open(port_)) return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("redis-server exited at start (is it installed? scripts/bootstrap installs it)");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        throw std::runtime_error("redis-server did not start");
    }

    /// Stops the server and waits for it to exit.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        ::kill(pid_, SIGCONT);  // a paused server, to take its SIGTERM
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    /// Freezes the server (SIGSTOP): its connections stay open and its port accepts TCP
    /// connections, but nothing answers, as with a hung or overloaded Redis.
    void pause() {
        if (pid_ > 0) ::kill(pid_, SIGSTOP);
    }
    /// Lets a paused server go on (SIGCONT).
    void resume() {
        if (pid_ > 0) ::kill(pid_, SIGCONT);
    }

    /// Its port.
    std::uint16_t port() const { return port_; }
    /// Its URL.
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

private:
    std::uint16_t port_;
    pid_t pid_ = -1;
};

/// One redis-server for the whole test binary, started on first use.
inline RedisServer& shared_redis() {
    static RedisServer server;
    return server;
}

}  // namespace fauth::test
