// keepFreedMemory(): how this process's C heap takes memory from the system, set once at start (the CLI's
// first step). On the machines measured, a page of memory costs ~11 µs the first time it is touched (the
// virtual machine's page fault): a one-second text run touched 46,000 pages, half a second of CPU. glibc's
// defaults hand every block over 128 KiB back to the system when freed (so the next such block faults
// anew) and fault the heap in 4 KiB pages. Here big blocks come from the heap (up to glibc's 32 MiB limit),
// freed memory stays for the next block, and the heap, grown once by a reserve, is backed by 2 MiB pages
// where the kernel has them (transparent huge pages in `madvise` or `always` mode): one fault per 2 MiB.
// The reserve is address space: only what is touched takes memory.
#include "memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#endif

namespace specml {

#if defined(__GLIBC__)
namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kHugePage = 2 * kMiB;

}  // namespace

size_t KeepFreedMemory() {
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(32 * kMiB));  // glibc's largest
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(1024 * kMiB));
  mallopt(M_TOP_PAD, static_cast<int>(256 * kMiB));
  // A block below the threshold comes from the heap, which grows by the reserve if it must.
  void* probe = malloc(kMiB);
  if (probe == nullptr) return 0;
  const uintptr_t address = reinterpret_cast<uintptr_t>(probe);
  free(probe);
  const uintptr_t start = address & ~uintptr_t{kHugePage - 1};
  const uintptr_t end = reinterpret_cast<uintptr_t>(sbrk(0)) & ~uintptr_t{kHugePage - 1};
  // Not in the heap (brk failed and glibc mapped the arena elsewhere): nothing is advised.
  if (end <= start + kHugePage || address > end) return 0;
#if defined(MADV_HUGEPAGE)
  if (madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE) == 0) return end - start;
#endif
  return 0;
}

#else
size_t KeepFreedMemory() { return 0; }
#endif

}  // namespace specml
