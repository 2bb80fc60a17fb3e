#include "fauth/http/token_request.hpp"
#include "fauth/core/internal/ascii.hpp"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

namespace fauth::http {
namespace {

using nlohmann::json;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The media type without parameters, lower-cased: "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(std::string_view content_type) {
    return ascii_lower(trim_ows(content_type.substr(0, content_type.find(';'))));
}

RequestError unprocessable(std::string detail) { return {422, std::move(detail)}; }

// The fields of a form body (as a JSON object of strings) or of a JSON object body.
std::variant<json, RequestError> read_fields(std::string_view content_type, std::string_view body) {
    const auto type = media_type(content_type);
    if (type == "application/json") {
        // A member named twice is refused, as a form field given twice is: parsers disagree on
        // which one wins, so a body that two of them read differently never gets through.
        std::vector<std::vector<std::string>> names;  // of each object being read, innermost last
        bool repeated = false;
        const json::parser_callback_t watch = [&](int, json::parse_event_t event, json& parsed) {
            if (event == json::parse_event_t::object_start) {
                names.emplace_back();
            } else if (event == json::parse_event_t::object_end) {
                names.pop_back();
            } else if (event == json::parse_event_t::key && !names.empty()) {
                auto& seen = names.back();
                const auto& name = parsed.get_ref<const std::string&>();
                if (std::find(seen.begin(), seen.end(), name) != seen.end())
                    repeated = true;
                else
                    seen.push_back(name);
            }
            return true;
        };
        auto doc = json::parse(body.begin(), body.end(), watch, /*allow_exceptions=*/false);
        if (doc.is_discarded()) return unprocessable("Body is not valid JSON");
        if (repeated) return unprocessable("A JSON member was given more than once");
        if (!doc.is_object()) return unprocessable("Body must be a JSON object");
        return doc;
    }
    if (type != "application/x-www-form-urlencoded")
        return RequestError{415, "Send application/x-www-form-urlencoded or application/json"};
    json fields = json::object();
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
        if (fields.contains(key)) return unprocessable("A form field was given more than once");
        fields[key] = std::move(value);
    }
    return fields;
}

// The string field `name`, or nothing when it is absent or not a string.
const std::string* string_field(const json& fields, const char* name) {
    const auto it = fields.find(name);
    return it != fields.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

bool grant_type_is(const json& fields, const char* expected) {
    const auto it = fields.find("grant_type");
    return it == fields.end() || (it->is_string() && *it == expected);
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

std::variant<LoginRequest, RequestError> parse_login_request(std::string_view content_type, std::string_view body) {
    auto read = read_fields(content_type, body);
    if (auto* error = std::get_if<RequestError>(&read)) return *error;
    const auto& fields = std::get<json>(read);
    if (!grant_type_is(fields, "password")) return unprocessable("grant_type must be password");
    const auto* username = string_field(fields, "username");
    const auto* password = string_field(fields, "password");
    if (username == nullptr || username->empty()) return unprocessable("username is required and must be a string");
    if (password == nullptr) return unprocessable("password is required and must be a string");
    LoginRequest r{*username, *password, {}};
    if (const auto* scope = string_field(fields, "scope")) r.scope = *scope;
    return r;
}

std::variant<std::string, RequestError> parse_refresh_request(std::string_view content_type, std::string_view body) {
    auto read = read_fields(content_type, body);
    if (auto* error = std::get_if<RequestError>(&read)) return *error;
    const auto& fields = std::get<json>(read);
    if (!grant_type_is(fields, "refresh_token")) return unprocessable("grant_type must be refresh_token");
    const auto* token = string_field(fields, "refresh_token");
    if (token == nullptr || token->empty()) return unprocessable("refresh_token is required and must be a string");
    return *token;
}

}  // namespace fauth::http

namespace fauth::http {

std::variant<SecondFactorRequest, RequestError> parse_second_factor_request(std::string_view content_type,
                                                                            std::string_view body) {
    auto read = read_fields(content_type, body);
    if (auto* error = std::get_if<RequestError>(&read)) return *error;
    const auto& fields = std::get<json>(read);
    const auto* token = string_field(fields, "second_factor_token");
    const auto* code = string_field(fields, "code");
    if (token == nullptr || token->empty()) return unprocessable("second_factor_token is required and must be a string");
    if (code == nullptr || code->empty()) return unprocessable("code is required and must be a string");
    return SecondFactorRequest{*token, *code};
}

std::variant<std::string, RequestError> parse_code_request(std::string_view content_type, std::string_view body) {
    auto read = read_fields(content_type, body);
    if (auto* error = std::get_if<RequestError>(&read)) return *error;
    const auto* code = string_field(std::get<json>(read), "code");
    if (code == nullptr || code->empty()) return unprocessable("code is required and must be a string");
    return *code;
}

}  // namespace fauth::http
