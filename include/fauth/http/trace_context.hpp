/// @file
/// fauth/http/trace_context.hpp — the trace a request belongs to, from its W3C Trace Context
/// `traceparent` header (https://www.w3.org/TR/trace-context/, section 3.2), so a security event
/// can be found in the tracing system too.
#pragma once

#include <string>
#include <string_view>

namespace fauth::http {

/// The trace id (32 lowercase hex digits) of a `traceparent` header's value
/// ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), or empty when the value is not a
/// valid one: anything but lowercase hex, an all-zero trace or parent id, version ff, version 00
/// not exactly 55 characters, a later version shorter than 55 or not followed by '-' after them.
/// Surrounding spaces and tabs are ignored. An invalid header is ignored, never refused.
std::string trace_id_of(std::string_view traceparent);

}  // namespace fauth::http
