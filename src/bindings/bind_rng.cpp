#include <pybind11/stl.h>

#include <optional>

#include "arrays.hpp"
#include "bindings.hpp"
#include "zogy/fft.hpp"
#include "zogy/padding.hpp"
#include "zogy/rng.hpp"

namespace zogy::bindings {

void bind_rng(py::module_& m) {
    m.def(
        "raw",
        [](const rng::Key& key, const rng::Counter& counter, std::size_t n) {
            py::array_t<std::uint64_t> out(static_cast<py::ssize_t>(n));
            std::uint64_t* data = out.mutable_data();
            without_gil([&] { rng::raw_numpy(key, counter, n, data); });
            return out;
        },
        py::arg("key"), py::arg("counter"), py::arg("n"));
    m.def(
        "normal",
        [](const rng::Key& key, const rng::Counter& counter, std::size_t n) {
            py::array_t<double> out(static_cast<py::ssize_t>(n));
            double* data = out.mutable_data();
            without_gil([&] {
                rng::Counter c = counter;
                for (std::size_t i = 0; i < n; ++i, c = rng::increment(c)) {
                    data[i] = rng::normal_at(key, c);
                }
            });
            return out;
        },
        py::arg("key"), py::arg("counter"), py::arg("n"));
    m.def(
        "digest",
        [](const DoubleArray& image, const std::optional<DoubleArray>& variance) {
            const ConstView view = view_2d(image, "image");
            ConstView variance_view;
            if (variance) {
                variance_view = view_2d(*variance, "variance");
                if (variance_view.rows != view.rows || variance_view.cols != view.cols) {
                    throw InvalidArgument("variance: shape differs from the image's");
                }
            }
            return rng::digest(view, variance_view);
        },
        py::arg("image"), py::arg("variance") = py::none());
    m.def("smooth_size", &padding::smooth_size, py::arg("n"));
    m.def(
        "time_fft_floor",
        [](std::size_t rows, std::size_t cols, int threads, int repeats) {
            if (rows < 1 || cols < 1 || rows > padding::kMaxSide || cols > padding::kMaxSide) {
                throw InvalidArgument("rows, cols: must be in 1 .. 2^20");
            }
            if (threads < 1) throw InvalidArgument("threads: must be >= 1");
            double seconds = 0.0;
            without_gil([&] { seconds = fft::time_floor(rows, cols, threads, repeats); });
            return seconds;
        },
        py::arg("rows"), py::arg("cols"), py::arg("threads"), py::arg("repeats"));
    m.def("pow2_size", &padding::pow2_size, py::arg("n"));
}

}  // namespace zogy::bindings
