#pragma once

#include <pybind11/pybind11.h>

namespace zogy::bindings {

void bind_rng(pybind11::module_& m);
void bind_subtract(pybind11::module_& m);
void bind_metric(pybind11::module_& m);

}  // namespace zogy::bindings
