// The IEEE default floating-point environment for the core's arithmetic, whatever the caller
// set: another library in the process may have turned on flush-to-zero / denormals-are-zero
// (or another rounding mode), which would make the same call give other bits in another
// process. The caller's environment is restored on the way out.
#pragma once

#include <cfenv>

namespace zogy {

class IeeeDefaultEnvironment {
  public:
    // FE_DFL_ENV is round-to-nearest with every exception masked and, on x86-64 and AArch64,
    // flush-to-zero and denormals-are-zero off (MXCSR 0x1f80, FPCR.FZ clear).
    IeeeDefaultEnvironment() {
        std::fegetenv(&caller_);
        std::fesetenv(FE_DFL_ENV);
    }
    ~IeeeDefaultEnvironment() { std::fesetenv(&caller_); }
    IeeeDefaultEnvironment(const IeeeDefaultEnvironment&) = delete;
    IeeeDefaultEnvironment& operator=(const IeeeDefaultEnvironment&) = delete;

  private:
    std::fenv_t caller_;
};

}  // namespace zogy
