#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "zogy/errors.hpp"

#ifndef ZOGY_VERSION
#error "ZOGY_VERSION must be defined by the build (single-sourced from pyproject.toml)"
#endif

PYBIND11_MODULE(_core, m) {
    m.doc() = "C++ core of zogy; use the public API in the zogy package instead.";
    m.attr("__version__") = ZOGY_VERSION;
    // Core exceptions become subclasses of the Python built-ins users already catch.
    pybind11::register_exception<zogy::InvalidArgument>(m, "InvalidArgument", PyExc_ValueError);
    pybind11::register_exception<zogy::NumericalError>(m, "NumericalError", PyExc_RuntimeError);
    zogy::bindings::bind_rng(m);
    zogy::bindings::bind_subtract(m);
    zogy::bindings::bind_metric(m);
}
