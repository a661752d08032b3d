#include <pybind11/pybind11.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

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
    // A test-only hook: what another library in the process may do to the calling thread.
    m.def(
        "_set_flush_to_zero",
        [](bool on) {
#if defined(__x86_64__) || defined(__i386__)
            constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
            const unsigned bits = kFlushToZero | kDenormalsAreZero;
            _mm_setcsr(on ? (_mm_getcsr() | bits) : (_mm_getcsr() & ~bits));
            return true;
#else
            (void)on;
            return false;  // not available here: the caller skips its test
#endif
        },
        pybind11::arg("on"),
        "Test hook: set (or clear) flush-to-zero and denormals-are-zero in the calling "
        "thread's MXCSR; False where the CPU has no such bits.");
}
