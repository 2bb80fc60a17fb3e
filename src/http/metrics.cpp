#include "fauth/http/metrics.hpp"

#include <string>
#include <utility>

#include "fauth/http/response.hpp"

namespace fauth::http {

void send_metrics(const PrometheusRegistry& registry, Pistache::Http::ResponseWriter& writer) {
    std::string body;
    try {
        body = registry.exposition();
    } catch (...) {
        send_detail(writer, Pistache::Http::Code::Internal_Server_Error, "Internal Server Error");
        return;
    }
    writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
    writer.send(Pistache::Http::Code::Ok, body,
                Pistache::Http::Mime::MediaType::fromString(std::string(PrometheusRegistry::content_type)));
}

Endpoint metrics_endpoint(std::shared_ptr<const PrometheusRegistry> registry) {
    Endpoint endpoint([registry = std::move(registry)](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer) {
        send_metrics(*registry, writer);
    });
    endpoint.doc.hidden = true;
    return endpoint;
}

}  // namespace fauth::http
