#include "fauth/oidc/fetch.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/errors.hpp"

namespace fauth::oidc {
namespace {

// libcurl's process-wide setup, done once before the first handle (curl_global_init must not race
// with itself on older libcurl).
void ensure_curl() {
    static const CURLcode ready = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (ready != CURLE_OK) throw std::runtime_error(std::string("libcurl: ") + curl_easy_strerror(ready));
}

struct UrlDeleter {
    void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
    void operator()(char* text) const noexcept { curl_free(text); }
};

// The parts of a URL that make its origin, and whether it carries credentials.
struct Origin {
    std::string scheme, host, port;
    bool credentials = false;
    bool operator==(const Origin&) const = default;
};

std::optional<Origin> origin_of(const std::string& url) {
    std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
    if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
    auto part = [&](CURLUPart which, unsigned flags = 0) -> std::optional<std::string> {
        char* text = nullptr;
        if (curl_url_get(parsed.get(), which, &text, flags) != CURLUE_OK || text == nullptr) return std::nullopt;
        std::unique_ptr<char, CurlStringDeleter> owned(text);
        return std::string(text);
    };
    auto scheme = part(CURLUPART_SCHEME);
    auto host = part(CURLUPART_HOST);
    auto port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (!scheme || !host || !port) return std::nullopt;
    return Origin{ascii_lower(*scheme), ascii_lower(*host), *port,
                  part(CURLUPART_USER).has_value() || part(CURLUPART_PASSWORD).has_value()};
}

bool is_loopback(std::string host) {
    if (host == "localhost") return true;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned char address[16];
    if (inet_pton(AF_INET, host.c_str(), address) == 1) return address[0] == 127;
    if (inet_pton(AF_INET6, host.c_str(), address) == 1) {
        static constexpr unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return std::equal(std::begin(address), std::end(address), std::begin(loopback));
    }
    return false;
}

Origin checked_origin(const std::string& url, const FetchOptions& options) {
    const auto origin = origin_of(url);
    // The URL may come from a provider's discovery document: quoted and escaped, as a JSON string.
    if (!origin) throw ConfigError("not a URL fauth can fetch: " + nlohmann::json(url).dump());
    if (origin->credentials) throw ConfigError("a URL to fetch must not hold a user name or password");
    if (origin->scheme == "https") return *origin;
    if (origin->scheme != "http") throw ConfigError("only https:// URLs are fetched: " + nlohmann::json(url).dump());
    if (is_loopback(origin->host)) return *origin;
    for (const auto& allowed : options.http_hosts)
        if (ascii_iequals(allowed, origin->host)) return *origin;
    throw ConfigError("refusing plain http:// for " + nlohmann::json(origin->host).dump() +
                      ": use https://, or name the host in FetchOptions.http_hosts");
}

// The max-age of a Cache-Control value: 0 for no-store and no-cache, nothing when absent.
std::optional<std::chrono::seconds> max_age_of(std::string_view value) {
    std::optional<std::chrono::seconds> found;
    while (!value.empty()) {
        const auto comma = value.find(',');
        auto directive = trim_ows(value.substr(0, comma));
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
        if (ascii_iequals(directive, "no-store") || ascii_iequals(directive, "no-cache")) return std::chrono::seconds(0);
        if (directive.size() > 8 && ascii_iequals(directive.substr(0, 8), "max-age=")) {
            long long seconds = 0;
            const auto digits = directive.substr(8);
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seconds);
            if (ec == std::errc() && end == digits.data() + digits.size() && seconds >= 0) found = std::chrono::seconds(seconds);
        }
    }
    return found;
}

// One request/answer exchange, without following redirects.
struct Transfer {
    const FetchOptions& options;
    const std::atomic<bool>* cancel;
    FetchResult result;
    bool too_large = false;
    char error[CURL_ERROR_SIZE] = {};

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) {
        auto& t = *static_cast<Transfer*>(self);
        const std::size_t bytes = size * count;
        if (t.result.body.size() + bytes > t.options.max_bytes) {
            t.too_large = true;
            return 0;  // stops the transfer
        }
        t.result.body.append(data, bytes);
        return bytes;
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) {
        auto& t = *static_cast<Transfer*>(self);
        std::string_view line(data, size * count);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
        if (line.starts_with("HTTP/")) {  // a new answer (after a 100 Continue)
            t.result.max_age.reset();
            t.result.content_type.clear();
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return size * count;
        const auto name = trim_ows(line.substr(0, colon));
        if (ascii_iequals(name, "cache-control")) t.result.max_age = max_age_of(trim_ows(line.substr(colon + 1)));
        if (ascii_iequals(name, "content-type")) t.result.content_type = std::string(trim_ows(line.substr(colon + 1)));
        return size * count;
    }

    static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        const auto* cancel = static_cast<Transfer*>(self)->cancel;
        return cancel != nullptr && cancel->load() ? 1 : 0;  // non-zero aborts
    }

    static CURLcode on_ssl_context(CURL*, void* ssl_context, void* self) {
        // Adds the configured CA file to the store libcurl filled with the system's certificates.
        X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_context));
        const auto& file = static_cast<Transfer*>(self)->options.ca_file;
        return X509_STORE_load_file(store, file.c_str()) == 1 ? CURLE_OK : CURLE_SSL_CACERT_BADFILE;
    }

    // GETs `url` (POSTs `form` when given, with `extra` headers); result.error says why when no
    // answer came. `next` receives a redirect target.
    void run(const std::string& url, const std::string& scheme, std::chrono::milliseconds budget, std::string& next,
             const std::string* form = nullptr, const std::vector<std::string>& extra = {}) {
        std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
        if (!curl) {
            result.error = "libcurl could not start a transfer";
            return;
        }
        std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(nullptr, curl_slist_free_all);
        bool accept = false;
        bool appended = true;
        const auto append = [&](const char* header) {
            // curl_slist_append returns the list's head, or null (leaving the list as it was).
            if (curl_slist* head = curl_slist_append(header_list.get(), header)) {
                (void)header_list.release();
                header_list.reset(head);
            } else {
                appended = false;
            }
        };
        for (const auto& header : extra) {
            accept = accept || (header.size() > 7 && ascii_iequals(std::string_view(header).substr(0, 7), "accept:"));
            append(header.c_str());
        }
        if (!accept) append("Accept: application/json");
        struct curl_slist* headers = header_list.get();
        if (!appended || headers == nullptr) {
            result.error = "libcurl could not make the request's headers";
            return;
        }
        CURL* c = curl.get();
        if (form != nullptr) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form->size()));
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, form->c_str());
        }
        curl_easy_setopt(c, CURLOPT_URL, url.c_str());
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, scheme.c_str());  // no other scheme, ever
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);             // redirects are checked below
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(options.connect_timeout, budget).count()));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(budget.count()));
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "fauth");
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &Transfer::on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
        // Plain http is allowed only for loopback and named hosts: never through a proxy from the
        // environment, which would carry it further unencrypted. https may use one.
        if (scheme == "http") curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        if (!options.ca_file.empty() && (curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, &Transfer::on_ssl_context) != CURLE_OK ||
                                         curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, this) != CURLE_OK)) {
            result.error = "this libcurl cannot add a CA file (it needs libcurl's OpenSSL flavour)";
            return;
        }
        const CURLcode code = curl_easy_perform(c);
        if (code != CURLE_OK) {
            if (too_large || code == CURLE_FILESIZE_EXCEEDED)
                result.error = "larger than " + std::to_string(options.max_bytes) + " bytes";
            else if (code == CURLE_ABORTED_BY_CALLBACK)
                result.error = "cancelled";
            else
                result.error = std::string(curl_easy_strerror(code)) + (error[0] != '\0' ? std::string(": ") + error : "");
            result.body.clear();
            return;
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
        char* location = nullptr;
        if (result.status >= 300 && result.status < 400 && curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
            location != nullptr)
            next = location;
    }
};

}  // namespace

std::string FetchResult::describe() const {
    if (!error.empty()) return error;
    return "answered " + std::to_string(status);
}

void check_fetch_options(const FetchOptions& fetch) {
    if (fetch.timeout.count() <= 0 || fetch.connect_timeout.count() <= 0 || fetch.max_bytes == 0 || fetch.max_redirects < 0)
        throw ConfigError("FetchOptions: timeouts and size must be positive");
    if (!fetch.ca_file.empty() && !std::ifstream(fetch.ca_file).good())
        throw ConfigError("FetchOptions.ca_file cannot be read: " + fetch.ca_file);
}

void check_fetch_url(const std::string& url, const FetchOptions& options) { checked_origin(url, options); }

FetchResult fetch(const std::string& url, const FetchOptions& options, const std::atomic<bool>* cancel) {
    const Origin origin = checked_origin(url, options);
    ensure_curl();
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    std::string current = url;
    for (int redirects = 0;; ++redirects) {
        const auto budget = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (budget.count() <= 0) return FetchResult{.error = "timed out"};
        Transfer transfer{options, cancel, {}};
        std::string next;
        transfer.run(current, origin.scheme, budget, next);
        if (next.empty()) return std::move(transfer.result);
        if (redirects == options.max_redirects) return FetchResult{.error = "too many redirects"};
        const auto target = origin_of(next);
        if (!target || !(*target == origin))
            return FetchResult{.error = "redirected to another origin (" + nlohmann::json(next).dump() + "); not followed"};
        current = std::move(next);
    }
}

FetchResult post_form(const std::string& url, const std::string& form, const std::vector<std::string>& headers,
                      const FetchOptions& options, const std::atomic<bool>* cancel) {
    const Origin origin = checked_origin(url, options);
    ensure_curl();
    Transfer transfer{options, cancel, {}};
    std::string next;  // not followed: a POST's redirect is answered as it came
    transfer.run(url, origin.scheme, options.timeout, next, &form, headers);
    return std::move(transfer.result);
}

}  // namespace fauth::oidc
