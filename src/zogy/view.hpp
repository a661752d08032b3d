// Non-owning views of contiguous row-major 2-D arrays, and 64-byte aligned owning buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

#include <sys/mman.h>

namespace zogy {

template <typename T>
struct View2D {
    T* data = nullptr;
    std::size_t rows = 0;
    std::size_t cols = 0;

    std::size_t size() const { return rows * cols; }
    T& operator()(std::size_t y, std::size_t x) const { return data[y * cols + x]; }
};

using ConstView = View2D<const double>;
using MutView = View2D<double>;

// FFTW's results depend on buffer alignment (DESIGN section 7), so every buffer that is planned
// or executed on comes from here: 64-byte aligned, whatever the caller's arrays look like.
template <typename T>
class AlignedBuffer {
  public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(std::size_t n) : size_(n) {
        if (n == 0) return;
        // Planes of a large subtraction are touched once per call: on 2 MiB pages they cost
        // 512 times fewer page faults (a tenth of a 2048^2 run on 4 KiB pages).
        const bool huge = n * sizeof(T) >= kHugeFrom;
        const std::size_t align = huge ? kHugePage : kAlign;
        const std::size_t bytes = ((n * sizeof(T) + align - 1) / align) * align;
        void* p = std::aligned_alloc(align, bytes);
        if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
        if (huge) madvise(p, bytes, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
        data_.reset(static_cast<T*>(p));
        bytes_ = bytes;
    }
    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    std::size_t size() const { return size_; }
    T& operator[](std::size_t i) { return data_.get()[i]; }
    const T& operator[](std::size_t i) const { return data_.get()[i]; }

    // Hands the memory over (the buffer is empty afterwards) to hold `keep` values of type U
    // from its start; whole pages beyond them go back to the system: an output that reuses a
    // working buffer slightly larger than itself.
    template <typename U>
    std::shared_ptr<U> share_as(std::size_t keep) {
        char* base = reinterpret_cast<char*>(data_.get());
        const std::size_t page = 4096;
        const std::size_t from = ((keep * sizeof(U) + page - 1) / page) * page;
        // Only for a buffer of whole pages of its own (the large, 2 MiB aligned ones): a
        // partial last page could belong to another allocation.
        const bool whole_pages =
            reinterpret_cast<std::uintptr_t>(base) % page == 0 && bytes_ % page == 0;
        if (whole_pages && from < bytes_) madvise(base + from, bytes_ - from, MADV_DONTNEED);
        size_ = bytes_ = 0;
        return std::shared_ptr<U>(reinterpret_cast<U*>(data_.release()),
                                  [](U* q) { std::free(q); });
    }

  private:
    static constexpr std::size_t kAlign = 64;
    static constexpr std::size_t kHugePage = std::size_t{2} << 20;
    static constexpr std::size_t kHugeFrom = std::size_t{4} << 20;
    struct FreeDeleter {
        void operator()(T* p) const { std::free(p); }
    };
    std::unique_ptr<T, FreeDeleter> data_;
    std::size_t size_ = 0;
    std::size_t bytes_ = 0;  // allocated, a multiple of the alignment
};

}  // namespace zogy
