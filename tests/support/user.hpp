// Test helper: the user model of FAuth's examples, with the member names fauth reads by default.
#pragma once

#include <string>
#include <vector>

namespace fauth::test {

struct User {
    std::string id;
    std::string username;
    std::string hashed_password;
    bool is_active = true;
    std::vector<std::string> roles;
    std::vector<std::string> permissions;
};

}  // namespace fauth::test
