// Test helper: a plain HTTP server on 127.0.0.1 serving JSON documents by path (a fake OpenID provider
// and its keys), moved out of relying_party_test.cpp for every test that needs one.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace fauth::test {

// A plain HTTP server on 127.0.0.1: answers GET `path` with the JSON set for it (404 otherwise),
// or, when `answers` is false, accepts connections, reads them and never answers.
class FakeServer {
public:
    explicit FakeServer(bool answers = true) : answers_(answers) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t n = sizeof a;
        if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 16) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &n) != 0)
            throw std::runtime_error("FakeServer: cannot listen");
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeServer() {
        stop_ = true;
        thread_.join();
        for (const int fd : held_) ::close(fd);
        ::close(listener_);
    }
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    std::string url(const std::string& path = "") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    void set(const std::string& path, const nlohmann::json& body) {
        std::lock_guard lock(mutex_);
        documents_[path] = body.dump();
    }
    // Waits until `n` connections came (at most `wait`).
    bool connections(int n, std::chrono::milliseconds wait) {
        std::unique_lock lock(mutex_);
        return arrived_.wait_for(lock, wait, [&] { return connections_ >= n; });
    }

private:
    void run() {
        while (!stop_) {
            pollfd p{.fd = listener_, .events = POLLIN, .revents = 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) continue;
            std::string request;
            char buffer[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                pollfd r{.fd = fd, .events = POLLIN, .revents = 0};
                if (::poll(&r, 1, 1000) <= 0) break;
                const auto got = ::read(fd, buffer, sizeof buffer);
                if (got <= 0) break;
                request.append(buffer, static_cast<std::size_t>(got));
            }
            {
                std::lock_guard lock(mutex_);
                ++connections_;
            }
            arrived_.notify_all();
            if (!answers_) {
                held_.push_back(fd);
                continue;
            }
            const auto start = request.find(' ') + 1;
            const auto path = request.substr(start, request.find(' ', start) - start);
            std::string body, status = "404 Not Found";
            {
                std::lock_guard lock(mutex_);
                if (const auto found = documents_.find(path); found != documents_.end()) {
                    body = found->second;
                    status = "200 OK";
                }
            }
            const auto answer = "HTTP/1.1 " + status +
                                "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                "\r\nConnection: close\r\n\r\n" + body;
            (void)!::write(fd, answer.data(), answer.size());
            ::close(fd);
        }
    }

    const bool answers_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::map<std::string, std::string> documents_;
    int connections_ = 0;
    std::vector<int> held_;  // the thread's alone until it is joined
    std::thread thread_;
};

}  // namespace fauth::test
