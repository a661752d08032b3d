// Typed exceptions of the core; the bindings map them to Python exception classes.
#pragma once

#include <stdexcept>
#include <string>

namespace zogy {

// A caller passed something the core cannot work with (shape, value, option).
class InvalidArgument : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

// The inputs are valid but the numbers cannot be formed (e.g. zero total noise).
class NumericalError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Throws InvalidArgument(message) unless `ok`: each stage's checks read as one line each.
inline void require(bool ok, const std::string& message) {
    if (!ok) throw InvalidArgument(message);
}

}  // namespace zogy
