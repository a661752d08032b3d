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

std::uint64_t splitmix64(std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
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

std::uint64_t digest(ConstView image, ConstView variance) {
    constexpr std::uint64_t kCanonicalNaN = 0x7FF8000000000000ULL;
    std::uint64_t h = 0x243F6A8885A308D3ULL;
    // Four interleaved lanes (word i into lane i % 4), each a splitmix64 chain started from
    // splitmix64(h ^ lane), folded into h in lane order: four independent chains run about
    // four times faster than one, which waits on every multiply (docs/algorithm.md).
    auto absorb = [&h](const double* values, std::size_t n) {
        std::uint64_t lane[4];
        for (std::uint64_t j = 0; j < 4; ++j) lane[j] = splitmix64(h ^ j);
        auto word = [values](std::size_t i) {
            const double v = values[i];
            return std::isnan(v) ? kCanonicalNaN : bits_of(v);
        };
        std::size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            for (std::size_t j = 0; j < 4; ++j) lane[j] = splitmix64(lane[j] ^ word(i + j));
        }
        for (; i < n; ++i) lane[i % 4] = splitmix64(lane[i % 4] ^ word(i));
        for (std::size_t j = 0; j < 4; ++j) h = splitmix64(h ^ lane[j]);
    };
    h = splitmix64(h ^ static_cast<std::uint64_t>(image.rows));
    h = splitmix64(h ^ static_cast<std::uint64_t>(image.cols));
    absorb(image.data, image.size());
    const bool has_variance = variance.data != nullptr;
    h = splitmix64(h ^ (has_variance ? 1ULL : 0ULL));
    if (has_variance) absorb(variance.data, variance.size());
    return h;
}

}  // namespace zogy::rng
