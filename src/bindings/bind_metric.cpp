#include "arrays.hpp"
#include "bindings.hpp"
#include "zogy/metric.hpp"

namespace zogy::bindings {

void bind_metric(py::module_& m) {
    m.def(
        "metric1",
        [](const DoubleArray& image, const DoubleArray& xs, const DoubleArray& ys, int radius,
           double sigma) {
            const ConstView view = view_2d(image, "image");
            if (xs.ndim() != 1 || ys.ndim() != 1 || xs.size() != ys.size()) {
                throw InvalidArgument("x, y: must be 1-D sequences of equal length");
            }
            ByteArray used(xs.size());
            std::uint8_t* used_data = used.mutable_data();
            metric::Metric1 result;
            without_gil([&] {
                result = metric::metric1(view, xs.data(), ys.data(),
                                         static_cast<std::size_t>(xs.size()), radius, sigma,
                                         used_data);
            });
            py::dict out;
            out["metric"] = result.metric;
            out["n_pos"] = result.n_pos;
            out["n_neg"] = result.n_neg;
            out["n_used"] = result.n_used;
            out["n_skipped"] = result.n_skipped;
            out["threshold"] = result.threshold;
            out["used"] = used;
            return out;
        },
        py::arg("image"), py::arg("x"), py::arg("y"), py::arg("radius"), py::arg("sigma"));
}

}  // namespace zogy::bindings
