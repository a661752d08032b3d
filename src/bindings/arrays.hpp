// Array conversion shared by the binding files. The Python layer has already validated dtypes
// and converted to C-contiguous native float64, so forcecast here never changes values.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "zogy/errors.hpp"
#include "zogy/view.hpp"

namespace zogy::bindings {

namespace py = pybind11;

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using ByteArray = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>;

inline ConstView view_2d(const DoubleArray& a, const std::string& name) {
    if (a.ndim() != 2) {
        throw InvalidArgument(name + ": expected a 2-D array, got " + std::to_string(a.ndim()) +
                              "-D");
    }
    return ConstView{a.data(), static_cast<std::size_t>(a.shape(0)),
                     static_cast<std::size_t>(a.shape(1))};
}

inline MutView mutable_view(DoubleArray& a) {
    return MutView{a.mutable_data(), static_cast<std::size_t>(a.shape(0)),
                   static_cast<std::size_t>(a.shape(1))};
}

inline DoubleArray new_plane(std::size_t rows, std::size_t cols) {
    return DoubleArray({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
}

}  // namespace zogy::bindings
