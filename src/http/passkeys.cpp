#include "fauth/http/passkeys.hpp"

#include "fauth/core/base64url.hpp"
#include "fauth/core/internal/ascii.hpp"

namespace fauth::http {

using nlohmann::json;

namespace {

RequestError not_a_credential(std::string detail) { return RequestError{422, std::move(detail)}; }

// The body as a JSON object, or why not (415 for another media type, 422 for another shape).
std::variant<json, RequestError> json_body(std::string_view content_type, std::string_view body) {
    const auto semicolon = content_type.find(';');
    if (!ascii_iequals(trim_ows(content_type.substr(0, semicolon)), "application/json"))
        return RequestError{415, "Content-Type must be application/json"};
    auto parsed = json::parse(body.begin(), body.end(), nullptr, false);
    if (!parsed.is_object()) return not_a_credential("The body must be a JSON object");
    return parsed;
}

// Member `name` of `object`, a base64url string, decoded into `out`: false when missing or not one.
bool binary_member(const json& object, const char* name, std::string& out) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() && base64url_decode(it->get_ref<const std::string&>(), out);
}

// The credential's response object, after its id, rawId (equal) and type are checked.
std::variant<const json*, RequestError> credential_response(const json& credential, std::string* raw_id) {
    if (!credential.is_object()) return not_a_credential("The credential must be a JSON object");
    std::string id, raw;
    if (!binary_member(credential, "id", id) || !binary_member(credential, "rawId", raw) || id != raw || raw.empty())
        return not_a_credential("id and rawId must be the same base64url credential id");
    const auto type = credential.find("type");
    if (type == credential.end() || *type != "public-key") return not_a_credential("type must be public-key");
    const auto response = credential.find("response");
    if (response == credential.end() || !response->is_object()) return not_a_credential("response must be a JSON object");
    if (raw_id != nullptr) *raw_id = std::move(raw);
    return &*response;
}

}  // namespace

std::variant<PasskeyRegistrationRequest, RequestError> parse_passkey_registration(std::string_view content_type,
                                                                                  std::string_view body) {
    auto read = json_body(content_type, body);
    if (auto* error = std::get_if<RequestError>(&read)) return *error;
    const auto& fields = std::get<json>(read);
    PasskeyRegistrationRequest r;
    if (const auto name = fields.find("name"); name != fields.end()) {
        if (!name->is_string()) return not_a_credential("name must be a string");
        r.name = name->get<std::string>();
    }
    const auto credential = fields.find("credential");
    if (credential == fields.end()) return not_a_credential("credential is required");
    auto response = credential_response(*credential, nullptr);
    if (auto* error = std::get_if<RequestError>(&response)) return *error;
    const auto& res = *std::get<const json*>(response);
    if (!binary_member(res, "clientDataJSON", r.client_data_json) ||
        !binary_member(res, "attestationObject", r.attestation_object))
        return not_a_credential("response must hold clientDataJSON and attestationObject, base64url");
    return r;
}

std::variant<PasskeyAssertionRequest, RequestError> parse_passkey_assertion(std::string_view content_type,
                                                                            std::string_view body) {
    auto read = json_body(content_type, body);
    if (auto* error = std::get_if<RequestError>(&read)) return *error;
    PasskeyAssertionRequest a;
    auto response = credential_response(std::get<json>(read), &a.credential_id);
    if (auto* error = std::get_if<RequestError>(&response)) return *error;
    const auto& res = *std::get<const json*>(response);
    if (!binary_member(res, "clientDataJSON", a.client_data_json) ||
        !binary_member(res, "authenticatorData", a.authenticator_data) || !binary_member(res, "signature", a.signature))
        return not_a_credential("response must hold clientDataJSON, authenticatorData and signature, base64url");
    if (const auto handle = res.find("userHandle");
        handle != res.end() && !handle->is_null() && !binary_member(res, "userHandle", a.user_handle))
        return not_a_credential("userHandle must be base64url");
    return a;
}

json passkey_creation_options(const PasskeySettings& settings, const PasskeyRegistrationStart& start,
                              std::string_view user_name) {
    auto params = json::array();
    for (const auto alg : settings.relying_party.algorithms)
        params.push_back({{"type", "public-key"}, {"alg", static_cast<int>(alg)}});
    auto exclude = json::array();
    for (const auto& id : start.exclude) exclude.push_back({{"type", "public-key"}, {"id", id}});
    return {{"challenge", start.challenge},
            {"rp", {{"id", settings.relying_party.id}, {"name", settings.name}}},
            {"user", {{"id", start.user_handle}, {"name", user_name}, {"displayName", user_name}}},
            {"pubKeyCredParams", params},
            {"timeout", settings.challenge_lifetime.count() * 1000},
            {"excludeCredentials", exclude},
            {"authenticatorSelection",
             {{"residentKey", "required"}, {"requireResidentKey", true}, {"userVerification", "required"}}},
            {"attestation", "none"}};
}

json passkey_request_options(const PasskeySettings& settings, std::string_view challenge) {
    return {{"challenge", challenge},
            {"rpId", settings.relying_party.id},
            {"timeout", settings.challenge_lifetime.count() * 1000},
            {"allowCredentials", json::array()},
            {"userVerification", "required"}};
}

json passkey_json(const Passkey& passkey) {
    const auto& c = passkey.credential;
    return {{"id", base64url_encode(c.id)},
            {"name", passkey.name},
            {"created_at", passkey.created_at},
            {"last_used_at", passkey.last_used_at == 0 ? json(nullptr) : json(passkey.last_used_at)},
            {"backed_up", c.backed_up},
            {"algorithm", static_cast<int>(c.algorithm)}};
}

std::vector<RouteDoc> passkey_route_docs(const std::string& tag, TokenDelivery delivery) {
    std::vector<RouteDoc> docs(7);
    for (auto& d : docs) d.tags = {tag};
    const json object = {{"type", "object"}};
    const auto json_content = [](const json& schema) { return json{{"application/json", {{"schema", schema}}}}; };
    const json credential = {{"type", "object"},
                             {"description", "PublicKeyCredential.toJSON(): binary members base64url"},
                             {"properties",
                              {{"id", {{"type", "string"}}},
                               {"rawId", {{"type", "string"}}},
                               {"type", {{"type", "string"}, {"const", "public-key"}}},
                               {"response", {{"type", "object"}}}}},
                             {"required", json::array({"id", "rawId", "type", "response"})}};
    const json passkey = {{"type", "object"},
                          {"properties",
                           {{"id", {{"type", "string"}, {"description", "The credential id, base64url"}}},
                            {"name", {{"type", "string"}}},
                            {"created_at", {{"type", "integer"}}},
                            {"last_used_at", {{"type", {"integer", "null"}}}},
                            {"backed_up", {{"type", "boolean"}, {"description", "A synced passkey"}}},
                            {"algorithm", {{"type", "integer"}, {"description", "COSE: -7 ES256, -8 EdDSA, -257 RS256"}}}}}};
    docs[0].summary = "Start registering a passkey";
    docs[0].description =
        "Options for `navigator.credentials.create` (PublicKeyCredentialCreationOptionsJSON): a challenge of five minutes, "
        "used once; a discoverable credential with user verification. The session must have begun recently; else 401 "
        "`insufficient_user_authentication` with `max_age` (RFC 9470).";
    docs[0].responses = {{"200", {{"description", "The creation options"}, {"content", json_content(object)}}}};
    docs[1].summary = "Register a passkey";
    docs[1].description = "The browser's registration response for the challenge above, and a name for it.";
    docs[1].request_body = {{"required", true},
                            {"content",
                             json_content(
                                 {{"type", "object"},
                                  {"properties", {{"name", {{"type", "string"}, {"maxLength", 64}}}, {"credential", credential}}},
                                  {"required", json::array({"credential"})}})}};
    docs[1].responses = {{"201", {{"description", "Registered"}, {"content", json_content(passkey)}}},
                         {"400", error_response_doc("Too many passkeys, one registered already, or a bad name")},
                         {"401", error_response_doc("Not authenticated, or an invalid passkey response")},
                         {"422", error_response_doc("The body is not a registration response")}};
    docs[2].summary = "Start signing in with a passkey";
    docs[2].description =
        "Options for `navigator.credentials.get` (PublicKeyCredentialRequestOptionsJSON): no user name needed, any of "
        "this site's passkeys may answer.";
    docs[2].responses = {{"200", {{"description", "The request options"}, {"content", json_content(object)}}}};
    docs[3].summary = "Sign in with a passkey";
    docs[3].description =
        "The browser's assertion for the challenge above. A passkey sign-in counts as two factors: the tokens say `acr` "
        "`aal2` and `amr` `hwk` (or `swk` for a synced passkey), `mfa`, `user`.";
    docs[3].request_body = {{"required", true}, {"content", json_content(credential)}};
    docs[3].responses = {{"200",
                          {{"description", delivery == TokenDelivery::cookies ? "Session cookies set" : "Tokens"},
                           {"content", json_content(token_answer_schema(delivery))}}},
                         {"401", error_response_doc("Invalid passkey")},
                         {"403", error_response_doc("Inactive user, or a foreign origin")},
                         {"422", error_response_doc("The body is not an assertion")},
                         {"429", error_response_doc("Too many attempts from this client; see Retry-After")}};
    docs[4].summary = "My passkeys";
    docs[4].responses = {
        {"200",
         {{"description", "The passkeys, oldest first"}, {"content", json_content({{"type", "array"}, {"items", passkey}})}}}};
    docs[5].summary = "Rename a passkey";
    docs[5].request_body = {{"required", true},
                            {"content", json_content({{"type", "object"},
                                                      {"properties", {{"name", {{"type", "string"}}}}},
                                                      {"required", json::array({"name"})}})}};
    docs[5].responses = {{"204", {{"description", "Renamed"}}}, {"404", error_response_doc("Passkey not found")}};
    docs[6].summary = "Remove a passkey";
    docs[6].description = "The session must have begun recently, as for registering.";
    docs[6].responses = {{"204", {{"description", "Removed"}}}, {"404", error_response_doc("Passkey not found")}};
    return docs;
}

}  // namespace fauth::http
