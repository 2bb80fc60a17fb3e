// cli/args.hpp — the fauth command line's argument parsing: `--name value` options (some
// repeatable), `--help`, and durations such as 15m.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace fauth::cli {

/// A mistake in the command line: printed with the command's usage, exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parsed options of one command.
class Args {
public:
    /// Parses `argv` (after the command words) against the options the command knows: each
    /// takes a value; those in `repeatable` may appear more than once. Throws UsageError for
    /// unknown options, missing values, repeats and positional arguments beyond `max_positional`.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& options, const std::set<std::string>& repeatable = {},
         std::size_t max_positional = 0);

    /// True when --help or -h was given.
    bool help() const noexcept { return help_; }
    /// The value of `--name`, if given.
    std::optional<std::string> get(const std::string& name) const;
    /// The value of `--name`; UsageError if missing.
    std::string required(const std::string& name) const;
    /// The value of `--name` as a whole number from `min` to `max`, or `fallback` when it is not
    /// given; UsageError naming the option for anything else ("abc", "5x", out of range).
    int integer(const std::string& name, int min, int max, int fallback) const;
    /// Every value of a repeatable `--name`.
    std::vector<std::string> all(const std::string& name) const;
    /// Positional arguments.
    const std::vector<std::string>& positional() const noexcept { return positional_; }

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positional_;
    bool help_ = false;
};

/// "90s", "15m", "12h", "7d" (or plain seconds) as a duration; UsageError otherwise.
std::chrono::seconds parse_duration(const std::string& text);

}  // namespace fauth::cli
