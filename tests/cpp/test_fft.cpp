#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

#include "zogy/fft.hpp"

using namespace zogy;

namespace {

// (grid rows, cols, box rows, cols, centre y, x)
using BoxCase =
    std::tuple<std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t>;

std::vector<double> test_box(std::size_t h, std::size_t w) {
    std::vector<double> box(h * w);
    for (std::size_t i = 0; i < box.size(); ++i) {
        box[i] = 1.0 + std::sin(0.37 * static_cast<double>(i));  // no symmetry to hide behind
    }
    return box;
}

void check_against_forward(const BoxCase& c) {
    const auto& [rows, cols, h, w, cy, cx] = c;
    CAPTURE(rows);
    CAPTURE(cols);
    CAPTURE(h);
    CAPTURE(w);
    const fft::Plan plan(rows, cols);
    const std::vector<double> box = test_box(h, w);
    double sum = 0.0;
    for (double v : box) sum += std::fabs(v);
    fft::Plane placed(plan), boxed(plan);
    placed.fill_real(0.0);
    for (std::size_t a = 0; a < h; ++a) {
        for (std::size_t b = 0; b < w; ++b) {
            placed.at((a + rows - cy) % rows, (b + cols - cx) % cols) = box[a * w + b];
        }
    }
    placed.forward();
    // Garbage in the output buffer must not leak through: forward_box writes every element.
    boxed.fill_real(std::nan(""));
    boxed.forward_box(ConstView{box.data(), h, w}, cy, cx);
    double worst = 0.0;
    for (std::size_t i = 0; i < plan.spectrum_size(); ++i) {
        worst = std::max(worst, std::abs(placed.spectrum()[i] - boxed.spectrum()[i]));
    }
    // Both are exact transforms up to round-off: the spectrum's scale is sum |box|.
    CHECK(worst <= 1e-14 * sum);
    CHECK(std::abs(boxed.spectrum()[0] - placed.spectrum()[0]) <= 1e-14 * sum);
}

bool same_bits(const fft::Plane& a, const fft::Plane& b, std::size_t n) {
    return std::memcmp(a.spectrum(), b.spectrum(), n * sizeof(fft::Complex)) == 0;
}

}  // namespace

TEST_CASE("forward_box equals the full forward transform of the placed box") {
    // Odd and even grids, boxes that wrap on every side, a centre off the middle, a box as
    // large as the grid.
    const std::vector<BoxCase> cases = {{96, 80, 11, 9, 5, 4},   {75, 81, 21, 17, 10, 8},
                                        {64, 63, 7, 30, 0, 29},  {40, 90, 15, 13, 3, 12},
                                        {12, 10, 12, 10, 6, 5}};
    for (const auto& c : cases) check_against_forward(c);
}

TEST_CASE("forward_box decimated column pass equals the full forward transform") {
    const std::vector<BoxCase> cases = {
        {2160, 2160, 41, 41, 20, 20},     // p = 45, l = 48
        {2160, 2160, 168, 168, 83, 84},   // p = 180, l = 12: a PSF stamp this large
        {360, 300, 41, 41, 20, 20},       // p = 45
        {360, 300, 100, 100, 50, 49},     // p = 120, l = 3
        {360, 301, 100, 37, 99, 0},       // centre on the box's last row and first column
        {97, 120, 11, 11, 5, 5},          // prime rows: no divisor, the full column pass
        {256, 256, 41, 41, 20, 20},       // p = 64
        {256, 256, 64, 3, 0, 2},          // p = 64 = box rows: every block row filled
        {180, 130, 90, 50, 45, 25},       // p = 90, l = 2: the largest proper divisor
        {180, 130, 91, 50, 45, 25},       // no proper divisor >= 91: the full pass
        {48, 40, 1, 1, 0, 0},             // one pixel: p = 1
        {60, 8, 5, 8, 2, 3},              // fewer spectrum columns than a block
        {200, 254, 13, 17, 6, 8},         // spectrum columns 128: whole blocks, no tail
    };
    for (const auto& c : cases) check_against_forward(c);
}

TEST_CASE("forward_box gives the same bits on every call, thread and buffer") {
    const fft::Plan plan(360, 300);
    const std::size_t h = 41, w = 41;
    const std::vector<double> box = test_box(h, w);
    const ConstView view{box.data(), h, w};
    fft::Plane first(plan), second(plan);
    first.forward_box(view, 20, 20);
    second.fill_real(1.0);
    second.forward_box(view, 20, 20);
    CHECK(same_bits(first, second, plan.spectrum_size()));

    // Concurrent calls on different buffers, the first of them also planning the column pass
    // of a box size this Plan has not seen.
    const std::size_t tall = 100;
    const std::vector<double> big = test_box(tall, w);
    const ConstView big_view{big.data(), tall, w};
    fft::Plane a(plan), b(plan), serial(plan);
    std::thread ta([&] { a.forward_box(big_view, 50, 20); });
    std::thread tb([&] { b.forward_box(big_view, 50, 20); });
    ta.join();
    tb.join();
    serial.forward_box(big_view, 50, 20);
    CHECK(same_bits(a, serial, plan.spectrum_size()));
    CHECK(same_bits(b, serial, plan.spectrum_size()));
}

TEST_CASE("forward_box rejects a box that does not fit the grid") {
    const fft::Plan plan(16, 16);
    fft::Plane plane(plan);
    std::vector<double> box(17 * 3, 1.0);
    CHECK_THROWS(plane.forward_box(ConstView{box.data(), 17, 3}, 8, 1));
    CHECK_THROWS(plane.forward_box(ConstView{box.data(), 3, 3}, 3, 1));
}

TEST_CASE("forward_boxes_by_class hands over every row of every box's forward_box once") {
    // Boxes of different heights (p follows the tallest) and centres; grids with and without
    // a divisor to prune by; one and two threads give the same bits.
    const std::size_t rows = 360, cols = 301;
    const fft::Plan plan(rows, cols);
    const std::size_t half = plan.spectrum_cols();
    const std::vector<std::tuple<std::size_t, std::size_t, std::size_t, std::size_t>> shapes = {
        {41, 41, 20, 20}, {100, 37, 99, 0}, {7, 30, 3, 29}};
    std::vector<std::vector<double>> values;
    std::vector<fft::Plan::Box> boxes;
    for (const auto& [h, w, cy, cx] : shapes) values.push_back(test_box(h, w));
    for (std::size_t b = 0; b < shapes.size(); ++b) {
        const auto& [h, w, cy, cx] = shapes[b];
        boxes.push_back({ConstView{values[b].data(), h, w}, cy, cx});
    }
    std::vector<fft::Plane> reference;
    for (const auto& box : boxes) {
        reference.emplace_back(plan);
        reference.back().forward_box(box.box, box.cy, box.cx);
    }
    std::vector<std::vector<fft::Complex>> one_thread;
    for (int threads : {1, 2}) {
        CAPTURE(threads);
        std::vector<std::vector<fft::Complex>> got(boxes.size(),
                                                   std::vector<fft::Complex>(plan.spectrum_size()));
        std::vector<int> seen(rows, 0);
        std::mutex mutex;
        const bool streamed = plan.forward_boxes_by_class(
            boxes, threads,
            [&](std::size_t q, std::size_t p, const std::vector<const fft::Complex*>& spectra) {
                std::lock_guard<std::mutex> lock(mutex);
                CHECK(p == 120);  // the smallest divisor of 360 >= 100
                REQUIRE(spectra.size() == boxes.size());
                for (std::size_t r = 0; r < p; ++r) {
                    const std::size_t row = q + (rows / p) * r;
                    ++seen[row];
                    for (std::size_t b = 0; b < boxes.size(); ++b) {
                        std::copy(spectra[b] + r * half, spectra[b] + (r + 1) * half,
                                  got[b].begin() + static_cast<std::ptrdiff_t>(row * half));
                    }
                }
            });
        CHECK(streamed);
        CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
        for (std::size_t b = 0; b < boxes.size(); ++b) {
            double worst = 0.0, scale = 0.0;
            for (double v : values[b]) scale += std::fabs(v);
            for (std::size_t i = 0; i < plan.spectrum_size(); ++i) {
                worst = std::max(worst, std::abs(got[b][i] - reference[b].spectrum()[i]));
            }
            CHECK(worst <= 1e-14 * scale);
        }
        if (threads == 1) one_thread = got;
        for (std::size_t b = 0; b < boxes.size(); ++b) {
            CHECK(std::memcmp(got[b].data(), one_thread[b].data(),
                              got[b].size() * sizeof(fft::Complex)) == 0);
        }
    }
    // No divisor of 97 rows to prune by: nothing is done, the caller uses planes.
    const fft::Plan prime(97, 40);
    bool called = false;
    CHECK_FALSE(prime.forward_boxes_by_class(
        {boxes[0]}, 2, [&](std::size_t, std::size_t, const std::vector<const fft::Complex*>&) {
            called = true;
        }));
    CHECK_FALSE(called);
}
