#include "parallel.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace specml {
namespace {

// Spinning this many rounds before sleeping keeps the hand-over between layers in the microseconds, yet
// leaves the core alone between batches.
constexpr int kSpins = 20000;
// How long the calling thread spins for the helper's half before it yields its core (~0.1 ms).
constexpr int kWaitSpins = 2000;

}  // namespace

SliceRunner::SliceRunner(int threads) {
  if (threads >= 2) helper_ = std::thread([this] { HelperLoop(); });
}

SliceRunner::~SliceRunner() {
  if (!helper_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  helper_.join();
}

void SliceRunner::Run(const std::function<void(int)>& work, bool worthIt) {
  if (!helper_.joinable() || !worthIt) {
    work(0);
    work(1);
    return;
  }
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    work_ = &work;
    ticket = posted_.fetch_add(1, std::memory_order_release) + 1;
  }
  wake_.notify_one();
  work(0);
  // The helper's half is usually done within microseconds of this one. Where it is not, its thread is
  // waiting for a core (two cores, a chart thread and the thread pool beside training): this thread gives
  // its own up rather than spin on it.
  for (int spins = 0; finished_.load(std::memory_order_acquire) != ticket; ++spins) {
    if (spins < kWaitSpins) {
#if defined(__SSE__)
      _mm_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }
}

void SliceRunner::HelperLoop() {
#if defined(__SSE__)
  _mm_setcsr(_mm_getcsr() | 0x8040);  // flush denormals, as the calling thread does while training
#endif
  uint64_t done = 0;
  for (;;) {
    int spins = 0;
    while (posted_.load(std::memory_order_acquire) == done && spins < kSpins) {
#if defined(__SSE__)
      _mm_pause();
#endif
      ++spins;
    }
    const std::function<void(int)>* work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || posted_.load(std::memory_order_acquire) != done; });
      if (stopping_) return;
      work = work_;
    }
    (*work)(1);
    finished_.store(++done, std::memory_order_release);
  }
}

}  // namespace specml
