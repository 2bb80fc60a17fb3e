#include "fauth/http/second_factor.hpp"

namespace fauth::http {

using nlohmann::json;

namespace {

json code_body(const char* description, bool with_token) {
    json properties = {{"code", {{"type", "string"}, {"description", description}}}};
    json required = json::array({"code"});
    if (with_token) {
        properties["second_factor_token"] = {{"type", "string"},
                                             {"description", "The `second_factor_token` of the password step's 403"}};
        required.push_back("second_factor_token");
    }
    const json schema = {{"type", "object"}, {"properties", properties}, {"required", required}};
    return {{"required", true},
            {"content",
             {{"application/json", {{"schema", schema}}}, {"application/x-www-form-urlencoded", {{"schema", schema}}}}}};
}

json codes_answer(const char* description) {
    const json codes = {{"type", "array"},
                        {"items", {{"type", "string"}}},
                        {"description", "Shown once: each works once in place of a code"}};
    const json schema = {{"type", "object"}, {"properties", {{"recovery_codes", codes}}}};
    return {{"description", description}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

}  // namespace

RouteDoc second_factor_login_doc(TokenDelivery delivery) {
    const bool cookies = delivery == TokenDelivery::cookies;
    RouteDoc doc;
    doc.summary = "Finish a login with a second factor";
    doc.description =
        "When the password step answers 403 `Second factor required`, send its `second_factor_token` with a code of "
        "the user's authenticator app (or one of their recovery codes, which is then used up). The session's tokens "
        "say `amr` `[\"mfa\", \"otp\", \"pwd\"]` and `acr` `aal2`.";
    doc.request_body = code_body("Six digits from the authenticator app, or a recovery code", true);
    doc.responses = {{"200",
                      {{"description", cookies ? "Session cookies set" : "Tokens"},
                       {"content", {{"application/json", {{"schema", token_answer_schema(delivery)}}}}}}},
                     {"401", error_response_doc("Invalid token (not a live second-factor token), or invalid code")},
                     {"403", error_response_doc("Inactive user")},
                     {"413", error_response_doc("Request body too large")},
                     {"422", error_response_doc("The body does not hold a second_factor_token and a code")},
                     {"429", error_response_doc("Too many codes tried from this client or for this user; see Retry-After")},
                     {"503", error_response_doc("The factor or session store cannot be reached; see Retry-After")}};
    return doc;
}

std::vector<RouteDoc> second_factor_route_docs(const std::string& tag) {
    std::vector<RouteDoc> docs(5);
    for (auto& d : docs) d.tags = {tag};
    docs[0].summary = "My second factor";
    docs[0].description = "Whether an authenticator app is enrolled, and how many recovery codes are left.";
    docs[0].responses = {
        {"200",
         {{"description", "The status"},
          {"content",
           {{"application/json",
             {{"schema",
               {{"type", "object"},
                {"properties", {{"totp", {{"type", "boolean"}}}, {"recovery_codes_left", {{"type", "integer"}}}}}}}}}}}}}};
    docs[1].summary = "Enrol an authenticator app";
    docs[1].description =
        "A new TOTP secret (RFC 6238: SHA-1, six digits, 30 s), not yet in force: scan `qr_svg` or open `uri`, then "
        "confirm with a first code. Replaces an unconfirmed one. The session must have begun recently; else 401 "
        "`insufficient_user_authentication` with `max_age` (RFC 9470): sign in again.";
    docs[1].responses = {{"200",
                          {{"description", "The secret, its otpauth URI and a QR code of it (SVG)"},
                           {"content",
                            {{"application/json",
                              {{"schema",
                                {{"type", "object"},
                                 {"properties",
                                  {{"secret", {{"type", "string"}, {"description", "Base32, to type in by hand"}}},
                                   {"uri", {{"type", "string"}}},
                                   {"qr_svg", {{"type", "string"}}}}}}}}}}}}},
                         {"400", error_response_doc("Authenticator already enrolled")}};
    docs[2].summary = "Confirm the authenticator app";
    docs[2].description = "A first code puts the enrolled secret in force; the answer holds the recovery codes, shown once.";
    docs[2].request_body = code_body("Six digits from the authenticator app", false);
    docs[2].responses = {{"200", codes_answer("Confirmed; the recovery codes")},
                         {"400", error_response_doc("No authenticator to confirm")},
                         {"422", error_response_doc("No code")},
                         {"429", error_response_doc("Too many codes tried; see Retry-After")}};
    docs[3].summary = "Remove the authenticator app";
    docs[3].description =
        "Removes the authenticator and the recovery codes. The session must have begun with two factors; else 401 "
        "`insufficient_user_authentication` with `acr_values=\"aal2\"` (RFC 9470).";
    docs[3].responses = {{"204", {{"description", "Removed"}}}};
    docs[4].summary = "New recovery codes";
    docs[4].description = "The old ones stop working. The session must have begun with two factors, as for removal.";
    docs[4].responses = {{"200", codes_answer("The new recovery codes")},
                         {"400", error_response_doc("No authenticator enrolled")}};
    return docs;
}

}  // namespace fauth::http
