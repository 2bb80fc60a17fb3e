#include "fauth/testing.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <stdexcept>

#include "fauth/core/internal/ascii.hpp"

namespace fauth::testing {
namespace {

// Fills `r` from a response head (status line and header lines, without the blank line).
void parse_head(std::string_view head, Response& r) {
    std::size_t line_end = head.find("\r\n");
    const auto status_line = head.substr(0, line_end);
    const auto space = status_line.find(' ');
    if (space == std::string_view::npos || status_line.size() < space + 4) throw std::runtime_error("no status line received");
    r.status = std::stoi(std::string(status_line.substr(space + 1, 3)));
    while (line_end != std::string_view::npos) {
        const auto next = head.find("\r\n", line_end + 2);
        const auto line =
            head.substr(line_end + 2, next == std::string_view::npos ? std::string_view::npos : next - line_end - 2);
        if (const auto colon = line.find(':'); colon != std::string_view::npos) {
            const auto name = ascii_lower(line.substr(0, colon));
            const auto value = std::string(trim_ows(line.substr(colon + 1)));
            if (name == "set-cookie")
                r.set_cookies.push_back(value);
            else
                r.headers[name] = value;
        }
        line_end = next;
    }
}

// `headers` and the JSON Content-Type.
std::vector<std::string> with_json(std::vector<std::string> headers) {
    headers.emplace_back("Content-Type: application/json");
    return headers;
}

}  // namespace

std::string Response::header(std::string_view name) const {
    const auto lowered = ascii_lower(name);
    if (lowered == "set-cookie") return set_cookies.empty() ? "" : set_cookies.back();
    const auto it = headers.find(lowered);
    return it == headers.end() ? "" : it->second;
}

nlohmann::json Response::json() const { return nlohmann::json::parse(body, nullptr, false); }

std::string Response::set_cookie(std::string_view name) const {
    const auto prefix = std::string(name) + "=";
    for (const auto& line : set_cookies)
        if (line.rfind(prefix, 0) == 0) return line;
    return "";
}

std::string Response::cookie_value(std::string_view name) const {
    const auto line = set_cookie(name);
    if (line.empty()) return "";
    const auto start = name.size() + 1;
    const auto end = line.find(';');
    return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

Connection::Connection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
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
        throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
    }
}

Connection::~Connection() { ::close(fd_); }

void Connection::send(std::string_view raw) {
    std::size_t sent = 0;
    while (sent < raw.size()) {
        const auto n = ::send(fd_, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) throw std::runtime_error("send failed");
        sent += static_cast<std::size_t>(n);
    }
}

Response Connection::read_response() {
    Response r;
    std::size_t header_end = std::string::npos, content_length = std::string::npos;
    for (;;) {
        if (header_end == std::string::npos && (header_end = data_.find("\r\n\r\n")) != std::string::npos) {
            parse_head(std::string_view(data_).substr(0, header_end), r);
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

bool Connection::closed_by_server(int wait_ms) {
    timeval tv{wait_ms / 1000, (wait_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
}

// Appends what arrives to data_; false when the server closed the connection.
bool Connection::receive() {
    char buf[16384];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) throw std::runtime_error("timed out waiting for the response");
    data_.append(buf, static_cast<std::size_t>(n));
    return n > 0;
}

Response send_raw(std::uint16_t port, std::string_view raw) {
    Connection connection(port);
    connection.send(raw);
    return connection.read_response();
}

Client::Client(std::uint16_t port, std::vector<std::string> headers) : port_(port), headers_(std::move(headers)) {}

Response Client::request(std::string_view method, std::string_view path, const std::vector<std::string>& headers,
                         std::string_view body) const {
    // RFC 9110 7.2: the Host header names the port of a non-default one.
    std::string raw =
        std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
    for (const auto* lines : {&headers_, &headers})
        for (const auto& h : *lines) raw += h + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    raw += "\r\n";
    raw += body;
    return send_raw(port_, raw);
}

Response Client::get(std::string_view path, const std::vector<std::string>& headers) const {
    return request("GET", path, headers);
}

Response Client::post(std::string_view path, const nlohmann::json& body, const std::vector<std::string>& headers) const {
    return request("POST", path, with_json(headers), body.dump());
}

Response Client::post(std::string_view path) const { return request("POST", path); }

Response Client::put(std::string_view path, const nlohmann::json& body, const std::vector<std::string>& headers) const {
    return request("PUT", path, with_json(headers), body.dump());
}

Response Client::del(std::string_view path, const std::vector<std::string>& headers) const {
    return request("DELETE", path, headers);
}

Client Client::with_header(std::string line) const {
    Client copy = *this;
    copy.headers_.push_back(std::move(line));
    return copy;
}

Client Client::with_bearer(std::string_view token) const { return with_header("Authorization: Bearer " + std::string(token)); }

TestServer::TestServer(http::Api& api, int threads) : server_(api, http::ServerOptions{.port = 0, .threads = threads}) {
    server_.start();
}

::testing::AssertionResult refused(const Response& response, int status, std::string_view detail) {
    if (response.status != status)
        return ::testing::AssertionFailure() << "status " << response.status << ", not " << status << "; body: " << response.body;
    const auto body = response.json();
    if (!body.is_object() || body.size() != 1 || !body.contains("detail") || body["detail"] != detail)
        return ::testing::AssertionFailure() << "body " << response.body << ", not {\"detail\": \"" << detail << "\"}";
    const auto challenge = response.header("WWW-Authenticate");
    if (status == 401 && challenge.rfind("Bearer", 0) != 0 && challenge.rfind("APIKey ", 0) != 0)
        return ::testing::AssertionFailure()
               << "401 without a Bearer or APIKey challenge (WWW-Authenticate: " << challenge << ")";
    return ::testing::AssertionSuccess() << status << " " << response.body;
}

}  // namespace fauth::testing
