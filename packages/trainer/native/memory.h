#pragma once
#include <cstddef>

namespace specml {

// Has this process's C heap keep what it frees and back it with huge pages (memory.cc says why); returns the
// bytes of heap advised for huge pages, 0 where that could not be done (not glibc, no heap to grow).
size_t KeepFreedMemory();

}  // namespace specml
