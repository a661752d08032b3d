#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "zogy/geometry.hpp"
#include "zogy/padding.hpp"
#include "zogy/rng.hpp"
#include "zogy/subtract.hpp"

namespace zogy::bindings {

namespace {

ImageInput image_input(const DoubleArray& image, const DoubleArray& psf,
                       const std::optional<DoubleArray>& variance,
                       const std::optional<ByteArray>& mask, double flux_scale,
                       const std::string& role) {
    ImageInput in;
    in.image = view_2d(image, role);
    in.psf = view_2d(psf, role + "_psf");
    auto require_image_shape = [&](const py::array& a, const std::string& name) {
        if (a.ndim() != 2 || static_cast<std::size_t>(a.shape(0)) != in.image.rows ||
            static_cast<std::size_t>(a.shape(1)) != in.image.cols) {
            throw InvalidArgument(name + ": shape differs from the " + role + " image's");
        }
    };
    if (variance) {
        require_image_shape(*variance, role + "_variance");
        in.variance = view_2d(*variance, role + "_variance");
    }
    if (mask) {
        require_image_shape(*mask, role + "_mask");
        in.mask = mask->data();
    }
    in.flux_scale = flux_scale;
    return in;
}

py::dict summary_dict(const ImageSummary& s) {
    py::dict d;
    d["digest"] = s.digest;
    d["noise_weight"] = s.noise_weight;
    d["fill_mean"] = s.fill_mean;
    d["bad_pixels"] = s.bad_pixels;
    return d;
}

// A numpy array over an image subtract() allocated, keeping its memory alive.
DoubleArray owned_array(const OwnedPlane& plane) {
    auto keep = std::make_unique<std::shared_ptr<double>>(plane.memory);
    py::capsule owner(keep.get(),
                      [](void* p) { delete static_cast<std::shared_ptr<double>*>(p); });
    keep.release();  // the capsule owns it now (not before: its constructor may throw)
    const auto rows = static_cast<py::ssize_t>(plane.view.rows);
    const auto cols = static_cast<py::ssize_t>(plane.view.cols);
    return DoubleArray({rows, cols}, {cols * static_cast<py::ssize_t>(sizeof(double)),
                                      static_cast<py::ssize_t>(sizeof(double))},
                       plane.view.data, owner);
}

// (top, bottom, left, right, origin_y, origin_x) of a spatial-grid cell.
padding::CellFrame cell_frame(const py::tuple& t) {
    if (t.size() != 6) throw InvalidArgument("cell: expected 6 integers");
    padding::CellFrame f;
    auto side = [&](std::size_t i) {
        const long long v = t[i].cast<long long>();
        if (v < 0) throw InvalidArgument("cell: padding amounts must be >= 0");
        return static_cast<std::size_t>(v);
    };
    f.top = side(0);
    f.bottom = side(1);
    f.left = side(2);
    f.right = side(3);
    f.origin_y = t[4].cast<std::int64_t>();
    f.origin_x = t[5].cast<std::int64_t>();
    return f;
}

ImageSummary summary_from(const py::dict& d) {
    ImageSummary s;
    s.digest = d["digest"].cast<std::uint64_t>();
    s.noise_weight = d["noise_weight"].cast<double>();
    s.fill_mean = d["fill_mean"].cast<double>();
    return s;
}

}  // namespace

void bind_subtract(py::module_& m) {
    m.def(
        "subtract",
        [](const DoubleArray& science, const DoubleArray& reference,
           const DoubleArray& science_psf, const DoubleArray& reference_psf,
           const std::optional<DoubleArray>& science_variance,
           const std::optional<DoubleArray>& reference_variance,
           const std::optional<ByteArray>& science_mask,
           const std::optional<ByteArray>& reference_mask, std::uint64_t seed,
           const std::string& padding_mode, const std::string& fft_size, long long border_y,
           long long border_x, double flux_n, double flux_r, bool kernel_guard,
           bool blank_grown, int threads, const std::optional<py::tuple>& cell,
           bool exact_variance,
           const std::optional<py::dict>& science_summary,
           const std::optional<py::dict>& reference_summary) {
            const ImageInput n = image_input(science, science_psf, science_variance,
                                             science_mask, flux_n, "science");
            const ImageInput r = image_input(reference, reference_psf, reference_variance,
                                             reference_mask, flux_r, "reference");
            SubtractOptions options;
            options.seed = seed;
            options.fill = padding::parse_fill_mode(padding_mode);
            options.size_rule = padding::parse_size_rule(fft_size);
            options.border_y = border_y;
            options.border_x = border_x;
            options.kernel_guard = kernel_guard;
            options.blank_grown = blank_grown;
            options.threads = threads;
            options.exact_variance = exact_variance;
            if (cell) options.cell = cell_frame(*cell);
            if (science_summary) options.science_summary = summary_from(*science_summary);
            if (reference_summary) options.reference_summary = summary_from(*reference_summary);

            // The PSF and mask outputs are allocated while the GIL is held, then filled
            // without it; the images come from subtract() (its own planes).
            const std::size_t rows = n.image.rows, cols = n.image.cols;
            DoubleArray psf = new_plane(n.psf.rows, n.psf.cols);
            ByteArray mask({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
            SubtractOutputs out;
            out.psf = mutable_view(psf);
            out.mask = mask.mutable_data();
            // Only the views taken above are used inside.
            without_gil([&] { zogy::subtract(n, r, options, out); });
            py::dict d;
            d["difference"] = owned_array(out.difference);
            d["difference_variance"] = owned_array(out.difference_variance);
            d["score"] = owned_array(out.score);
            d["score_variance"] = owned_array(out.score_variance);
            d["scorr"] = owned_array(out.scorr);
            d["flux"] = owned_array(out.flux);
            d["flux_err"] = owned_array(out.flux_err);
            d["psf"] = psf;
            d["mask"] = mask;
            d["flux_zero_point"] = out.flux_zero_point;
            d["score_normalisation"] = out.score_normalisation;
            d["guarded_frequencies"] = out.guarded_frequencies;
            d["grow_radius"] = py::make_tuple(out.grow_radius[0], out.grow_radius[1]);
            d["padded_shape"] = py::make_tuple(out.geometry.rows, out.geometry.cols);
            d["border"] = py::make_tuple(out.geometry.border_y, out.geometry.border_x);
            d["science"] = summary_dict(out.images[0]);
            d["reference"] = summary_dict(out.images[1]);
            return d;
        },
        // Everything after the images and stamps by keyword only: python/zogy/_subtract_core.py
        // is the one caller, and a keyword call cannot shift an argument into another's place.
        py::arg("science"), py::arg("reference"), py::arg("science_psf"),
        py::arg("reference_psf"), py::kw_only(), py::arg("science_variance"),
        py::arg("reference_variance"), py::arg("science_mask"), py::arg("reference_mask"),
        py::arg("seed"), py::arg("padding"), py::arg("fft_size"), py::arg("border_y"),
        py::arg("border_x"), py::arg("flux_n"), py::arg("flux_r"), py::arg("kernel_guard"),
        py::arg("blank_grown"), py::arg("threads"), py::arg("cell") = py::none(),
        py::arg("exact_variance") = false, py::arg("science_summary") = py::none(),
        py::arg("reference_summary") = py::none());
    // The Python layer's early memory check (before any conversion) counts these planes.
    m.attr("PEAK_PLANES") = geometry::kPeakPlanes;
    m.attr("MAX_SIDE") = padding::kMaxSide;  // the padded grid's largest side
    m.attr("MASK_SCIENCE_BAD") = static_cast<int>(kScienceBad);
    m.attr("MASK_REFERENCE_BAD") = static_cast<int>(kReferenceBad);
    m.attr("MASK_EDGE") = static_cast<int>(kEdge);
    m.attr("MASK_NEAR_BAD") = static_cast<int>(kNearBad);
    m.def(
        "padded_image",
        [](const DoubleArray& image, const std::optional<DoubleArray>& variance,
           const std::optional<ByteArray>& mask, std::uint64_t seed,
           const std::string& padding_mode, const std::string& fft_size, std::size_t border_y,
           std::size_t border_x) {
            const DoubleArray psf = new_plane(1, 1);  // unused by summarise()
            const ImageInput in = image_input(image, psf, variance, mask, 1.0, "image");
            const auto g = padding::make_geometry(in.image.rows, in.image.cols, border_y,
                                                  border_x, padding::parse_size_rule(fft_size));
            const auto fill_mode = padding::parse_fill_mode(padding_mode);
            DoubleArray out = new_plane(g.rows, g.cols);
            double* data = out.mutable_data();
            ImageSummary s;
            without_gil([&] {
                s = summarise(in, "image");
                std::vector<std::uint8_t> bad(in.image.size());
                for (std::size_t i = 0; i < bad.size(); ++i) {
                    bad[i] = (in.mask != nullptr && in.mask[i]) || !std::isfinite(in.image.data[i]);
                }
                const padding::Fill fill{fill_mode, s.fill_mean, s.noise_weight,
                                         rng::Key{seed, s.digest}};
                padding::pad_image(in.image, bad.data(), g, fill, data);
            });
            py::dict d = summary_dict(s);
            d["padded"] = out;
            d["border"] = py::make_tuple(g.border_y, g.border_x);
            return d;
        },
        py::arg("image"), py::arg("variance"), py::arg("mask"), py::arg("seed"),
        py::arg("padding"), py::arg("fft_size"), py::arg("border_y"), py::arg("border_x"));
    m.def(
        "image_summary",
        [](const DoubleArray& image, const std::optional<DoubleArray>& variance,
           const std::optional<ByteArray>& mask, const std::string& role) {
            const DoubleArray psf = new_plane(1, 1);  // unused by summarise()
            const ImageInput in = image_input(image, psf, variance, mask, 1.0, role);
            ImageSummary s;
            without_gil([&] { s = summarise(in, role); });
            return summary_dict(s);
        },
        py::arg("image"), py::arg("variance"), py::arg("mask"), py::arg("role"));
}

}  // namespace zogy::bindings
