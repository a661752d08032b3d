// Padded planes handed from one stage of a subtraction to a later one.
#pragma once

#include <mutex>
#include <utility>
#include <vector>

#include "fft.hpp"

namespace zogy {

// Planes released by one stage and taken by a later one of the same subtraction: a fresh plane
// costs page faults on first touch (about a fifth of the run at 2048^2), a reused one does not.
// Local to one call: no state outlives it.
class PlanePool {
  public:
    explicit PlanePool(const fft::Plan& plan) : plan_(plan) {}
    fft::Plane take() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (free_.empty()) return fft::Plane(plan_);
        fft::Plane plane = std::move(free_.back());
        free_.pop_back();
        return plane;
    }
    void give(fft::Plane&& plane) {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(std::move(plane));
    }
    // Frees the spare planes once no later stage takes any: the outputs are written last, and
    // spare planes held then would add to the peak memory.
    void trim() {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.clear();
    }

  private:
    const fft::Plan& plan_;
    std::mutex mutex_;
    std::vector<fft::Plane> free_;
};

}  // namespace zogy
