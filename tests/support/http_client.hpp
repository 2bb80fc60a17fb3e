// Test helper: a tiny blocking HTTP/1.1 client over a loopback socket, so tests control every
// byte sent (malformed headers included) and read every header received.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/core/ascii.hpp"

namespace fauth::test {

/// A parsed response.
struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::vector<std::string> set_cookies;        // every Set-Cookie line, in order
    std::string body;

    /// The Set-Cookie line of cookie `name`, or "" when none sets it.
    std::string set_cookie(const std::string& name) const {
        for (const auto& line : set_cookies)
            if (line.rfind(name + "=", 0) == 0) return line;
        return "";
    }
    /// The value a Set-Cookie line gives cookie `name` ("" when none sets it).
    std::string cookie_value(const std::string& name) const {
        const auto line = set_cookie(name);
        if (line.empty()) return "";
        const auto start = name.size() + 1;
        return line.substr(start, line.find(';') == std::string::npos ? std::string::npos : line.find(';') - start);
    }

    /// The header `name` (any case), or "" when absent.
    std::string header(std::string name) const {
        name = fauth::ascii_lower(name);
        auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
    /// The body parsed as JSON (discarded value if it is not JSON).
    nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

/// One client connection to 127.0.0.1:`port`, for tests that send several requests on it or
/// watch whether the server keeps it open. Reads time out after 15 s.
class Connection {
public:
    explicit Connection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (fd_ < 0) throw std::runtime_error("socket failed");
        timeval tv{15, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd_);
            throw std::runtime_error("connect failed");
        }
    }
    ~Connection() { ::close(fd_); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Sends `raw` as it is.
    void send(const std::string& raw) {
        std::size_t sent = 0;
        while (sent < raw.size()) {
            const auto n = ::send(fd_, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("send failed");
            sent += static_cast<std::size_t>(n);
        }
    }

    /// Reads one response: until Content-Length bytes of body have arrived, or the server closes.
    HttpResponse read_response() {
        HttpResponse r;
        std::size_t header_end = std::string::npos, content_length = std::string::npos;
        for (;;) {
            if (header_end == std::string::npos && (header_end = data_.find("\r\n\r\n")) != std::string::npos) {
                parse_head(data_.substr(0, header_end), r);
                if (auto it = r.headers.find("content-length"); it != r.headers.end()) content_length = std::stoul(it->second);
            }
            if (header_end != std::string::npos && content_length != std::string::npos &&
                data_.size() >= header_end + 4 + content_length)
                break;
            if (!receive()) break;
        }
        if (header_end == std::string::npos) throw std::runtime_error("no response head received");
        const auto end = content_length == std::string::npos ? data_.size() : header_end + 4 + content_length;
        r.body = data_.substr(header_end + 4, end - header_end - 4);
        data_.erase(0, end);
        return r;
    }

    /// True when the server closes the connection within `wait` (and sends nothing more).
    bool closed_by_server(int wait_ms) {
        timeval tv{wait_ms / 1000, (wait_ms % 1000) * 1000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char c;
        return ::recv(fd_, &c, 1, 0) == 0;
    }

private:
    // Appends what arrives to data_; false when the server closed the connection.
    bool receive() {
        char buf[16384];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0) throw std::runtime_error("timed out waiting for the response");
        data_.append(buf, static_cast<std::size_t>(n));
        return n > 0;
    }

    static void parse_head(const std::string& head, HttpResponse& r) {
        std::size_t line_end = head.find("\r\n");
        const auto status_line = head.substr(0, line_end);
        r.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
        while (line_end != std::string::npos) {
            const auto next = head.find("\r\n", line_end + 2);
            const auto line = head.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                auto name = line.substr(0, colon);
                name = fauth::ascii_lower(name);
                auto value = line.substr(colon + 1);
                while (!value.empty() && value.front() == ' ') value.erase(0, 1);
                if (name == "set-cookie") r.set_cookies.push_back(value);
                r.headers[name] = value;
            }
            line_end = next;
        }
    }

    int fd_;
    std::string data_;
};

/// Sends `raw` (a whole request) on a new connection to 127.0.0.1:`port` and reads one response.
inline HttpResponse send_raw(std::uint16_t port, const std::string& raw) {
    Connection connection(port);
    connection.send(raw);
    return connection.read_response();
}

/// A request with the given method, path, extra header lines ("Name: value") and body.
inline HttpResponse request(std::uint16_t port, const std::string& method, const std::string& path,
                            const std::vector<std::string>& headers = {}, const std::string& body = "") {
    std::string raw = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& h : headers) raw += h + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT") raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    raw += "\r\n" + body;
    return send_raw(port, raw);
}

/// GET `path` with `Authorization: Bearer <token>` (no header when token is empty).
inline HttpResponse get(std::uint16_t port, const std::string& path, const std::string& token = "") {
    return request(port, "GET", path, token.empty() ? std::vector<std::string>{} : std::vector<std::string>{"Authorization: Bearer " + token});
}

}  // namespace fauth::test
