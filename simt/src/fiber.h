// Cooperative fibers for emulated CUDA threads: a hand-written x86-64 context switch (six
// callee-saved registers and the stack pointer; no syscall, unlike swapcontext), stacks from a
// reused pool with a guard page, and AddressSanitizer's fiber annotations so the asan preset
// follows the switches.
#pragma once

#include <cstddef>

namespace simt::detail {

struct Fiber {
  void* sp = nullptr;     // saved stack pointer while switched out
  void* stack = nullptr;  // usable stack memory (null for a host thread's own stack)
  size_t stack_bytes = 0;
  void* asan_fake_stack = nullptr;
  const void* asan_bottom = nullptr;  // the host thread's stack, learned on the first switch
  size_t asan_size = 0;
};

// Gives `f` a stack from the pool and prepares it to call entry(arg) on its first resume.
// `entry` must never return: it ends with exit_fiber.
void start_fiber(Fiber& f, void (*entry)(void*), void* arg);
// Switches from the host context `host` into `f`, returning when `f` switches back.
void resume_fiber(Fiber& host, Fiber& f);
// From inside `f`: back to `host` (resume_fiber returns there).
void suspend_fiber(Fiber& f, Fiber& host);
// From inside `f` for the last time: back to `host`; the caller then calls release_fiber.
[[noreturn]] void exit_fiber(Fiber& f, Fiber& host);
// Called first thing in a fiber's entry (the ASan bookkeeping of the switch into it).
void enter_fiber(Fiber& host);
// Returns f's stack to the pool.
void release_fiber(Fiber& f);

}  // namespace simt::detail
