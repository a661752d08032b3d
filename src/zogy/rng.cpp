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
// divisions that zogy.reference uses, so both sides hold the same doubles.
struct TrigCoefficients {
    double cos_c[11];
    double sin_c[11];
    TrigCoefficients() {
        double c = 1.0;
        for (int k = 0; k < 11; ++k) {
            if (k > 0) c = -c / ((2.0 * k - 1.0) * (2.0 * k));
            cos_c[k] = c;
        }
        double s = 1.0;
        for (int k = 0; k < 11; ++k) {
            if (k > 0) s = -s / ((2.0 * k) * (2.0 * k + 1.0));
            sin_c[k] = s;
        }
    }
};

const TrigCoefficients& trig() {
    static const TrigCoefficients coefficients;
    return coefficients;
}

// cos(phi) and sin(phi) for |phi| <= pi/4: Horner in phi^2, terms through phi^20 / phi^21
// (the first omitted term is below 1e-20).
double cos_small(double phi) {
    const double z = phi * phi;
    const auto& c = trig().cos_c;
    double p = c[10];
    for (int k = 9; k >= 0; --k) p = p * z + c[k];
    return p;
}

double sin_small(double phi) {
    const double z = phi * phi;
    const auto& s = trig().sin_c;
    double p = s[10];
    for (int k = 9; k >= 0; --k) p = p * z + s[k];
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

double log_basic(double u) {
    // u = m * 2^e with m in [sqrt(1/2), sqrt(2)); frexp-like split through the bits (exact).
    const std::uint64_t b = bits_of(u);
    int e = static_cast<int>((b >> 52) & 0x7FF) - 1023;
    double m = double_of((b & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL);
    // Selects, not a branch: random deviates would mispredict it half the time.
    const bool high = m > 1.4142135623730951;
    m = high ? m * 0.5 : m;
    e += high ? 1 : 0;
    // log m = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...), |s| <= 0.1716: 13 terms reach 1e-19.
    const double s = (m - 1.0) / (m + 1.0);
    const double z = s * s;
    double p = 1.0 / 25.0;
    for (int k = 11; k >= 0; --k) p = p * z + 1.0 / (2.0 * k + 1.0);
    const double log_m = 2.0 * s * p;
    // ln 2 split so that e * ln2_hi is exact for |e| < 2^11 (fdlibm's constants).
    const double ln2_hi = 6.93147180369123816490e-01;
    const double ln2_lo = 1.90821492927058770002e-10;
    const double ef = static_cast<double>(e);
    return ef * ln2_hi + (ef * ln2_lo + log_m);
}

double cos_two_pi_basic(double u) {
    // u = k/4 + r with |r| <= 1/8; u - k/4 is exact (Sterbenz, or k = 0).
    const double k = floor_exact(u * 4.0 + 0.5);
    const double r = u - k * 0.25;
    const double phi = r * 6.283185307179586;  // |phi| <= pi/4
    const double quadrant = k - 4.0 * floor_exact(k * 0.25);
    // Both series and a select, not a branch on the (random) quadrant: cheaper than the
    // mispredictions, and the same values.
    const double c = cos_small(phi), s = sin_small(phi);
    const double value = quadrant == 0.0 || quadrant == 2.0 ? c : s;
    return quadrant == 0.0 || quadrant == 3.0 ? value : -value;
}

double uniform53(std::uint64_t word) {
    // 52 bits plus the half: (2^52 - 1) + 0.5 needs 53 significant bits, so every value is
    // exact and the range is [2^-53, 1 - 2^-53]. (With 53 bits the top value would round to 1.)
    return (static_cast<double>(word >> 12) + 0.5) * 0x1.0p-52;
}

double normal_from_words(std::uint64_t w0, std::uint64_t w1) {
    const double u1 = uniform53(w0);
    const double u2 = uniform53(w1);
    return std::sqrt(-2.0 * log_basic(u1)) * cos_two_pi_basic(u2);
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
            out[start + j] = std::sqrt(-2.0 * log_basic(u1[j])) * cos_two_pi_basic(u2[j]);
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
