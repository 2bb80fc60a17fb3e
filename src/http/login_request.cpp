#include "fauth/http/login_request.hpp"

#include <map>
#include <optional>

#include <nlohmann/json.hpp>

namespace fauth::http {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The media type without parameters, lower-cased: "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(std::string_view content_type) {
    const auto semi = content_type.find(';');
    auto type = content_type.substr(0, semi);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    std::string out(type);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

LoginRequestError unprocessable(std::string detail) { return {422, std::move(detail)}; }

std::variant<LoginRequest, LoginRequestError> from_form(std::string_view body) {
    std::map<std::string, std::string> fields;
    std::size_t pos = 0;
    while (pos <= body.size()) {
        const auto amp = body.find('&', pos);
        const auto pair = body.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
        pos = amp == std::string_view::npos ? body.size() + 1 : amp + 1;
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        std::string key, value;
        if (!form_decode(pair.substr(0, eq), key) ||
            !form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), value))
            return unprocessable("Malformed form body");
        if (!fields.emplace(std::move(key), std::move(value)).second)
            return unprocessable("A form field was given more than once");
    }
    if (const auto g = fields.find("grant_type"); g != fields.end() && g->second != "password")
        return unprocessable("grant_type must be password");
    LoginRequest r;
    const auto user = fields.find("username");
    const auto pass = fields.find("password");
    if (user == fields.end() || user->second.empty()) return unprocessable("username is required");
    if (pass == fields.end()) return unprocessable("password is required");
    r.username = user->second;
    r.password = pass->second;
    if (const auto s = fields.find("scope"); s != fields.end()) r.scope = s->second;
    return r;
}

std::variant<LoginRequest, LoginRequestError> from_json(std::string_view body) {
    const auto doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return unprocessable("Body is not valid JSON");
    if (!doc.is_object()) return unprocessable("Body must be a JSON object");
    const auto user = doc.find("username");
    const auto pass = doc.find("password");
    if (user == doc.end() || !user->is_string() || user->get_ref<const std::string&>().empty())
        return unprocessable("username is required and must be a string");
    if (pass == doc.end() || !pass->is_string()) return unprocessable("password is required and must be a string");
    LoginRequest r;
    r.username = user->get<std::string>();
    r.password = pass->get<std::string>();
    if (const auto s = doc.find("scope"); s != doc.end() && s->is_string()) r.scope = s->get<std::string>();
    return r;
}

}  // namespace

bool form_decode(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= in.size()) return false;
            const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return true;
}

std::variant<LoginRequest, LoginRequestError> parse_login_request(std::string_view content_type, std::string_view body) {
    const auto type = media_type(content_type);
    if (type == "application/x-www-form-urlencoded") return from_form(body);
    if (type == "application/json") return from_json(body);
    return LoginRequestError{415, "Send credentials as application/x-www-form-urlencoded or application/json"};
}

}  // namespace fauth::http
