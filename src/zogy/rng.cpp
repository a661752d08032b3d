#include "rng.hpp"

#include <Random123/philox.h>

#include <cmath>
#include <cstring>

namespace zogy::rng {

namespace {

std::uint64_t bits_of(double v) {
    std::uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    return b;
}

double double_of(std::uint64_t b) {
    double v;
    std::memcpy(&v, &b, sizeof v);
    return v;
}

// Taylor coefficients (-1)^k / (2k)! and (-1)^k / (2k+1)!, formed by the same chain of
// divisions that zogy.reference uses, so both sides hold the same doubles (IEEE division,
// evaluated by the compiler here: a table it can keep in registers, unlike a static whose
// initialisation every call checks).
struct TrigCoefficients {
    double cos_c[11] = {};
    double sin_c[11] = {};
};

constexpr TrigCoefficients make_trig_coefficients() {
    TrigCoefficients t;
    double c = 1.0;
    for (int k = 0; k < 11; ++k) {
        if (k > 0) c = -c / ((2.0 * k - 1.0) * (2.0 * k));
        t.cos_c[k] = c;
    }
    double s = 1.0;
    for (int k = 0; k < 11; ++k) {
        if (k > 0) s = -s / ((2.0 * k) * (2.0 * k + 1.0));
        t.sin_c[k] = s;
    }
    return t;
}

constexpr TrigCoefficients kTrig = make_trig_coefficients();

// cos(phi) and sin(phi) for |phi| <= pi/4: Horner in phi^2, terms through phi^20 / phi^21
// (the first omitted term is below 1e-20).
[[gnu::always_inline]] inline double cos_small(double phi) {
    const double z = phi * phi;
    double p = kTrig.cos_c[10];
    for (int k = 9; k >= 0; --k) p = p * z + kTrig.cos_c[k];
    return p;
}

[[gnu::always_inline]] inline double sin_small(double phi) {
    const double z = phi * phi;
    double p = kTrig.sin_c[10];
    for (int k = 9; k >= 0; --k) p = p * z + kTrig.sin_c[k];
    return phi * p;
}

}  // namespace

namespace {

// Inlined into the row loop of normals_along_row, so that consecutive pixels' rounds overlap
// (a call per block serialises them: measured 38 ns a block).
[[gnu::always_inline]] inline Counter philox(const Key& key, const Counter& c) {
    r123::Philox4x64 generator;
    r123::Philox4x64::ctr_type ctr = {{c[0], c[1], c[2], c[3]}};
    r123::Philox4x64::key_type k = {{key[0], key[1]}};
    const auto out = generator(ctr, k);
    return {out[0], out[1], out[2], out[3]};
}

// std::floor without the library call (the generic x86-64 target has no rounding
// instruction): the same value for every finite x, up to the sign of a zero result, which
// cos_two_pi_basic's arithmetic does not see.
[[gnu::always_inline]] inline double floor_exact(double x) {
    if (!(std::fabs(x) < 0x1.0p52)) return x;  // already an integer (or not finite)
    const double t = static_cast<double>(static_cast<std::int64_t>(x));  // toward zero
    return t > x ? t - 1.0 : t;
}

// 2^52: doubles from 2^52 to 2^53 are the integers, so adding and removing it rounds to an
// integer, and 2^52 + k holds k in its low bits. Integer <-> double without a conversion
// instruction (the generic x86-64 target has none for packed 64-bit integers): the row loop of
// normals_along_row vectorises.
constexpr double kTwo52 = 0x1.0p52;

// floor(x) for 0 <= x < 2^51, the same value as floor_exact.
[[gnu::always_inline]] inline double floor_small(double x) {
    const double t = (x + kTwo52) - kTwo52;  // x rounded to an integer (exact: no contraction)
    return t > x ? t - 1.0 : t;
}

[[gnu::always_inline]] inline double log_inline(double u) {
    // u = m * 2^e with m in [sqrt(1/2), sqrt(2)); frexp-like split through the bits (exact).
    const std::uint64_t b = bits_of(u);
    double e = (double_of(((b >> 52) & 0x7FF) | bits_of(kTwo52)) - kTwo52) - 1023.0;
    double m = double_of((b & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL);
    // Selects, not a branch: random deviates would mispredict it half the time.
    const bool high = m > 1.4142135623730951;
    m = high ? m * 0.5 : m;
    e = high ? e + 1.0 : e;
    // log m = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...), |s| <= 0.1716: 13 terms reach 1e-19.
    const double s = (m - 1.0) / (m + 1.0);
    const double z = s * s;
    double p = 1.0 / 25.0;
    for (int k = 11; k >= 0; --k) p = p * z + 1.0 / (2.0 * k + 1.0);
    const double log_m = 2.0 * s * p;
    // ln 2 split so that e * ln2_hi is exact for |e| < 2^11 (fdlibm's constants).
    const double ln2_hi = 6.93147180369123816490e-01;
    const double ln2_lo = 1.90821492927058770002e-10;
    return e * ln2_hi + (e * ln2_lo + log_m);
}

// cos(2 pi u) with the floor given: floor_exact for any finite u, floor_small for u in (0, 1).
template <typename Floor>
[[gnu::always_inline]] inline double cos_two_pi_with(double u, Floor floor) {
    // u = k/4 + r with |r| <= 1/8; u - k/4 is exact (Sterbenz, or k = 0).
    const double k = floor(u * 4.0 + 0.5);
    const double r = u - k * 0.25;
    const double phi = r * 6.283185307179586;  // |phi| <= pi/4
    const double quadrant = k - 4.0 * floor(k * 0.25);
    // Both series and a select, not a branch on the (random) quadrant: cheaper than the
    // mispredictions, and the same values.
    const double c = cos_small(phi), s = sin_small(phi);
    // Non-short-circuit tests: no control flow, so the row loop vectorises.
    const bool even = (quadrant == 0.0) | (quadrant == 2.0);
    const bool positive = (quadrant == 0.0) | (quadrant == 3.0);
    const double value = even ? c : s;
    return positive ? value : -value;
}

// Box-Muller on two uniforms in (0, 1): what normal_from_words and normals_along_row share.
[[gnu::always_inline]] inline double box_muller(double u1, double u2) {
    return std::sqrt(-2.0 * log_inline(u1)) *
           cos_two_pi_with(u2, [](double x) { return floor_small(x); });
}

}  // namespace

Counter philox_block(const Key& key, const Counter& c) { return philox(key, c); }

Counter increment(Counter c) {
    for (auto& word : c) {
        if (++word != 0) break;  // no carry out of this word
    }
    return c;
}

void raw_numpy(const Key& key, const Counter& counter, std::size_t n, std::uint64_t* out) {
    Counter c = counter;
    for (std::size_t j = 0; j < n; j += 4) {
        c = increment(c);
        const Counter block = philox_block(key, c);
        for (std::size_t w = 0; w < 4 && j + w < n; ++w) out[j + w] = block[w];
    }
}

double log_basic(double u) { return log_inline(u); }

double cos_two_pi_basic(double u) {
    return cos_two_pi_with(u, [](double x) { return floor_exact(x); });
}

double uniform53(std::uint64_t word) {
    // 52 bits plus the half: (2^52 - 1) + 0.5 needs 53 significant bits, so every value is
    // exact and the range is [2^-53, 1 - 2^-53]. (With 53 bits the top value would round to 1.)
    return (static_cast<double>(word >> 12) + 0.5) * 0x1.0p-52;
}

double normal_from_words(std::uint64_t w0, std::uint64_t w1) {
    return box_muller(uniform53(w0), uniform53(w1));
}

double normal_at(const Key& key, const Counter& counter) {
    const Counter block = philox_block(key, increment(counter));
    return normal_from_words(block[0], block[1]);
}

Counter pixel_counter(std::int64_t y, std::int64_t x) {
    return {static_cast<std::uint64_t>(x), static_cast<std::uint64_t>(y), 0, 0};
}

void normals_along_row(const Key& key, std::int64_t y, std::int64_t x0, std::size_t n,
                       double* out) {
    // Stage by stage over a batch: each stage's loop body is one pixel's straight-line
    // arithmetic, the same operations in the same order as normal_at, so the bits agree.
    constexpr std::size_t kBatch = 32;
    double u1[kBatch], u2[kBatch];
    for (std::size_t start = 0; start < n; start += kBatch) {
        const std::size_t count = std::min(kBatch, n - start);
        for (std::size_t j = 0; j < count; ++j) {
            const auto x = x0 + static_cast<std::int64_t>(start + j);
            const Counter block = philox(key, increment(pixel_counter(y, x)));
            u1[j] = uniform53(block[0]);
            u2[j] = uniform53(block[1]);
        }
        for (std::size_t j = 0; j < count; ++j) {
            out[start + j] = box_muller(u1[j], u2[j]);
        }
    }
}

Digest::Digest(std::size_t rows, std::size_t cols) : h_(0x243F6A8885A308D3ULL) {
    h_ = splitmix64(h_ ^ static_cast<std::uint64_t>(rows));
    h_ = splitmix64(h_ ^ static_cast<std::uint64_t>(cols));
}

void Digest::start_plane() {
    for (std::uint64_t j = 0; j < 4; ++j) lane_[j] = splitmix64(h_ ^ j);
}

void Digest::end_plane() {
    for (std::size_t j = 0; j < 4; ++j) h_ = splitmix64(h_ ^ lane_[j]);
}

void Digest::variance(bool given) { h_ = splitmix64(h_ ^ (given ? 1ULL : 0ULL)); }

std::uint64_t digest(ConstView image, ConstView variance) {
    Digest d(image.rows, image.cols);
    auto absorb = [&d](const double* values, std::size_t n) {
        d.start_plane();
        std::size_t i = 0;
        for (; i + 4 <= n; i += 4) d.add4(values + i);
        for (; i < n; ++i) d.add(i, values[i]);
        d.end_plane();
    };
    absorb(image.data, image.size());
    d.variance(variance.data != nullptr);
    if (variance.data != nullptr) absorb(variance.data, variance.size());
    return d.value();
}

}  // namespace zogy::rng
