#pragma once

#include <pybind11/pybind11.h>

#include <exception>
#include <utility>

#include "zogy/fp_env.hpp"

namespace zogy::bindings {

// Runs `work` (C++ only: it must touch no Python object) without the GIL and in the IEEE
// default floating-point environment. The GIL is taken back in ordinary code after the work,
// not in a destructor as py::gil_scoped_release does: a thread that comes back while the
// interpreter is finalizing (a daemon thread at exit) is ended by CPython with pthread_exit,
// and that unwinding through a noexcept destructor would std::terminate the whole process.
template <typename Work>
void without_gil(Work&& work) {
    std::exception_ptr error;
    PyThreadState* state = PyEval_SaveThread();
    try {
        const IeeeDefaultEnvironment environment;
        std::forward<Work>(work)();
    } catch (...) {
        error = std::current_exception();
    }
    PyEval_RestoreThread(state);
    if (error) std::rethrow_exception(error);
}

void bind_rng(pybind11::module_& m);
void bind_subtract(pybind11::module_& m);
void bind_metric(pybind11::module_& m);

}  // namespace zogy::bindings
