// Runs the kParts slices of a batch: slice 0 on the calling thread and slice 1 on one helper thread where
// two threads are wanted, else one after the other. Which thread runs a slice never changes its result.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace specml {

class SliceRunner {
 public:
  explicit SliceRunner(int threads);
  ~SliceRunner();
  SliceRunner(const SliceRunner&) = delete;
  SliceRunner& operator=(const SliceRunner&) = delete;

  // Calls work(0) and work(1), on two threads where there are two and `worthIt`, and returns when both
  // are done.
  void Run(const std::function<void(int)>& work, bool worthIt = true);
  int threads() const { return helper_.joinable() ? 2 : 1; }

 private:
  void HelperLoop();

  std::thread helper_;
  std::mutex mutex_;
  std::condition_variable wake_;
  const std::function<void(int)>* work_ = nullptr;
  std::atomic<uint64_t> posted_{0}, finished_{0};
  bool stopping_ = false;
};

}  // namespace specml
