/// @file
/// fauth/http/metrics.hpp — serving a PrometheusRegistry's exposition: open (Api::serve_metrics,
/// metrics_endpoint), behind a guard (metrics_handler inside require_roles, say), or on a port of
/// its own (a second Server whose Api serves only it).
#pragma once

#include <memory>

#include <pistache/http.h>
#include <pistache/router.h>

#include "fauth/core/prometheus.hpp"
#include "fauth/http/endpoint.hpp"

namespace fauth::http {

/// Answers `request` with `registry`'s exposition (200, Prometheus's text format, not cached).
void send_metrics(const PrometheusRegistry& registry, Pistache::Http::ResponseWriter& writer);

/// A handler for a guard: `api.get("/metrics", auth.require_roles({"ops"}, metrics_handler(registry)))`
/// serves the exposition to callers the rule lets through.
inline auto metrics_handler(std::shared_ptr<const PrometheusRegistry> registry) {
    return [registry = std::move(registry)](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer,
                                            const auto&) noexcept { send_metrics(*registry, writer); };
}

/// An open endpoint serving `registry`'s exposition, hidden from OpenAPI (Api::serve_metrics
/// mounts one).
Endpoint metrics_endpoint(std::shared_ptr<const PrometheusRegistry> registry);

}  // namespace fauth::http
