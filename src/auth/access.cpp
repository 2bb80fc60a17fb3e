#include "fauth/auth/access.hpp"

namespace fauth {
namespace {

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

}  // namespace

std::string missing_role_message(const std::vector<std::string>& roles, Match match) {
    if (match == Match::any && roles.size() > 1) return "Missing role: one of " + joined(roles);
    return "Missing role: " + (roles.empty() ? std::string() : roles.front());
}

std::string missing_permission_message(const std::vector<std::string>& permissions, Match match) {
    if (match == Match::any && permissions.size() > 1)
        return "Insufficient permissions: requires one of " + joined(permissions) + " permission";
    return "Insufficient permissions: requires " + (permissions.empty() ? std::string() : permissions.front()) +
           " permission";
}

}  // namespace fauth
