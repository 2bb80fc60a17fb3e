// fauth/auth/internal/measured.hpp — a revocation store and a throttle that time every operation
// of the ones they wrap into fauth.store.duration and count failures into fauth.store.failures
// (the throttle also counts its refusals into fauth.throttle.refusals, by bucket). The engine
// wraps its store and throttle in them when metrics are on; off, it does not wrap at all.
#pragma once

#include <memory>

#include "fauth/auth/revocation.hpp"
#include "fauth/auth/throttle.hpp"
#include "fauth/core/metrics.hpp"

namespace fauth::detail {

// `store`, timed into `sink`.
std::shared_ptr<RevocationStore> measured(std::shared_ptr<RevocationStore> store, const std::shared_ptr<MetricsSink>& sink);
// `throttle`, timed into `sink`, its refusals counted.
std::shared_ptr<Throttle> measured(std::shared_ptr<Throttle> throttle, const std::shared_ptr<MetricsSink>& sink);

}  // namespace fauth::detail
