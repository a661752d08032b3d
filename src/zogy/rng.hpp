// Counter-based noise (DESIGN section 4): Philox4x64-10 from Random123, numpy's counter
// convention, image digests for the key, and normal deviates from basic arithmetic only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "view.hpp"

namespace zogy::rng {

using Key = std::array<std::uint64_t, 2>;
using Counter = std::array<std::uint64_t, 4>;  // least significant word first

// The Random123 block for counter c (no offset): this is what the known-answer vectors list.
Counter philox_block(const Key& key, const Counter& c);

// c + 1 modulo 2^256.
Counter increment(Counter c);

// numpy.random.Philox(key, counter).random_raw(n): block at counter + 1 + j / 4, word j % 4.
void raw_numpy(const Key& key, const Counter& counter, std::size_t n, std::uint64_t* out);

// Natural log and cos(2 pi u) from + - * / sqrt only, so that they give the same bits on every
// IEEE-754 machine (glibc's libm picks FMA paths by CPU at run time and is not correctly rounded).
double log_basic(double u);         // u > 0, finite, normal
double cos_two_pi_basic(double u);  // any finite u; exact argument reduction

// Uniform in (0, 1) from the top 52 bits plus one half, exactly representable: never 0 or 1.
double uniform53(std::uint64_t word);

// Box-Muller on the first two words of a block: one deviate per block, a fixed draw count.
double normal_from_words(std::uint64_t w0, std::uint64_t w1);

// The deviate for a numpy-convention counter (uses the block at counter + 1).
double normal_at(const Key& key, const Counter& counter);

// Counter of the exposure pixel (y, x): x in word 0, y in word 1, both as two's complement.
Counter pixel_counter(std::int64_t y, std::int64_t x);

// normal_at(key, pixel_counter(y, x0 + j)) for j < n into out[j], the same bits, computed a
// batch at a time so that the pixels' independent chains of arithmetic overlap.
void normals_along_row(const Key& key, std::int64_t y, std::int64_t x0, std::size_t n,
                       double* out);

// 64-bit digest of an image's shape, pixels and variance plane as given (NaNs canonical;
// variance.data == nullptr when there is none), see docs/algorithm.md. Only input bits enter,
// never a derived statistic whose last bit could depend on summation order.
std::uint64_t digest(ConstView image, ConstView variance);

// digest() fed a value at a time, for a pass that reads the pixels anyway (inputs.cpp's
// scan of an input): construct with the shape; for the image, start_plane(), add(i, v) for
// i = 0, 1, ... in order (or add4 for aligned runs of four), end_plane(); then
// variance(given) and, if given, the same for the variance plane. Then
// value() == digest(image, variance).
class Digest {
  public:
    Digest(std::size_t rows, std::size_t cols);
    void start_plane();
    // Word i of the plane goes to lane i % 4; four independent chains of multiplies instead
    // of one. add4 takes words i .. i + 3 for i a multiple of 4 (lanes known at compile time).
    void add(std::size_t i, double v) { mix(lane_[i % 4], v); }
    void add4(const double* v) {
        for (std::size_t j = 0; j < 4; ++j) mix(lane_[j], v[j]);
    }
    void end_plane();
    void variance(bool given);
    std::uint64_t value() const { return h_; }

  private:
    static std::uint64_t splitmix64(std::uint64_t z) {
        z += 0x9E3779B97F4A7C15ULL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    static void mix(std::uint64_t& lane, double v) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        lane = splitmix64(lane ^ (v != v ? 0x7FF8000000000000ULL : bits));  // NaNs canonical
    }
    std::uint64_t h_;
    std::uint64_t lane_[4] = {0, 0, 0, 0};
};

}  // namespace zogy::rng
