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
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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
    RedisServer() : RedisServer(std::vector<std::string>{}) {}
    /// A server with `extra` arguments besides the usual ones (e.g. "--replicaof", host, port).
    explicit RedisServer(std::vector<std::string> extra) : port_(free_port()), extra_(std::move(extra)) {
        // Its files (a replica's copy of its master's data) in a directory of its own, not the test's.
        char dir[] = "/tmp/fauth-redis-XXXXXX";
        if (::mkdtemp(dir) == nullptr) throw std::runtime_error("cannot make a redis directory");
        dir_ = dir;
        start();
    }
    ~RedisServer() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    /// Starts the server (again) on the same port and waits until it accepts connections.
    void start() {
        if (pid_ > 0) return;
        const std::string port = std::to_string(port_);
        pid_ = ::fork();
        if (pid_ == 0) {
            std::vector<std::string> args = {"redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                             "no", "--protected-mode", "yes", "--loglevel", "warning", "--dir", dir_,
                                             // a replica's first sync starts at once (the default waits 5 s for others)
                                             "--repl-diskless-sync-delay", "0"};
            args.insert(args.end(), extra_.begin(), extra_.end());
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execvp("redis-server", argv.data());
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

    /// Kills the server at once (SIGKILL), as a machine lost: nothing is flushed or closed.
    void kill_hard() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
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
    std::vector<std::string> extra_;
    std::string dir_;
    pid_t pid_ = -1;
};

/// A Redis Sentinel (redis-server --sentinel) on a free loopback port, watching the master on
/// `master_port` as "mymaster" with a quorum of `quorum`, declaring it down after 1 s without an
/// answer; its configuration file (which a sentinel rewrites) in a directory of its own. Stopped
/// when destroyed.
class RedisSentinelServer {
public:
    RedisSentinelServer(std::uint16_t master_port, int quorum) : port_(free_port()) {
        char dir[] = "/tmp/fauth-sentinel-XXXXXX";
        if (::mkdtemp(dir) == nullptr) throw std::runtime_error("cannot make a sentinel directory");
        dir_ = dir;
        const auto conf = dir_ + "/sentinel.conf";
        std::FILE* f = std::fopen(conf.c_str(), "w");
        if (f == nullptr) throw std::runtime_error("cannot write " + conf);
        std::fprintf(f,
                     "port %u\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %u %d\n"
                     "sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 4000\n"
                     "sentinel parallel-syncs mymaster 1\nloglevel warning\n",
                     static_cast<unsigned>(port_), dir_.c_str(), static_cast<unsigned>(master_port), quorum);
        std::fclose(f);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execlp("redis-server", "redis-server", conf.c_str(), "--sentinel", nullptr);
            ::_exit(127);
        }
        for (int i = 0; i < 200; ++i) {
            if (port_open(port_)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        throw std::runtime_error("redis sentinel did not start");
    }
    ~RedisSentinelServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        std::remove((dir_ + "/sentinel.conf").c_str());
        ::rmdir(dir_.c_str());
    }
    RedisSentinelServer(const RedisSentinelServer&) = delete;
    RedisSentinelServer& operator=(const RedisSentinelServer&) = delete;

    /// Its port.
    std::uint16_t port() const { return port_; }

private:
    std::uint16_t port_;
    std::string dir_;
    pid_t pid_ = -1;
};

/// One redis-server for the whole test binary, started on first use.
inline RedisServer& shared_redis() {
    static RedisServer server;
    return server;
}

}  // namespace fauth::test
