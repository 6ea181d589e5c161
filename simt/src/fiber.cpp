#include "fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define SIMT_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if !defined(__x86_64__)
#error "simt's context switch is written for x86-64"
#endif

// simt_switch(save, next): pushes the callee-saved registers, stores rsp in *save, loads
// next as rsp, pops the registers of that context and returns into it. A new context's
// "return address" is simt_fiber_start, which calls r12(r13) (entry and argument).
extern "C" void simt_switch(void** save, void* next);
extern "C" void simt_fiber_start();
asm(R"(
  .text
  .globl simt_switch
  .type simt_switch, @function
simt_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size simt_switch, .-simt_switch

  .globl simt_fiber_start
  .type simt_fiber_start, @function
simt_fiber_start:
  movq %r13, %rdi
  callq *%r12
  ud2
  .size simt_fiber_start, .-simt_fiber_start
)");

namespace simt::detail {
namespace {

#if SIMT_ASAN
constexpr size_t kStackBytes = 512 * 1024;  // ASan's redzones make frames larger
#else
constexpr size_t kStackBytes = 128 * 1024;
#endif

// Stacks are mapped once and reused: a barrier-free kernel needs one, a block that waits at
// a barrier one per thread. Pages are touched only as deep as the kernels go.
struct StackPool {
  std::mutex mutex;
  std::vector<void*> free;
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));

  void* get() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!free.empty()) {
        void* s = free.back();
        free.pop_back();
        return s;
      }
    }
    void* base = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
      std::fprintf(stderr, "simt: cannot map a fiber stack\n");
      std::abort();
    }
    mprotect(base, page, PROT_NONE);  // guard page: an overflow faults instead of corrupting
    return static_cast<char*>(base) + page;
  }
  void put(void* s) {
    std::lock_guard<std::mutex> lock(mutex);
    free.push_back(s);
  }
};

StackPool& pool() {
  static StackPool* p = new StackPool;  // never destroyed: fibers may outlive static teardown
  return *p;
}

void switch_into(Fiber& from, Fiber& to, bool from_dies) {
#if SIMT_ASAN
  __sanitizer_start_switch_fiber(from_dies ? nullptr : &from.asan_fake_stack,
                                 to.stack ? to.stack : to.asan_bottom,
                                 to.stack ? to.stack_bytes : to.asan_size);
#else
  (void)from_dies;
#endif
  simt_switch(&from.sp, to.sp);
#if SIMT_ASAN
  __sanitizer_finish_switch_fiber(from.asan_fake_stack, nullptr, nullptr);
#endif
}

}  // namespace

void start_fiber(Fiber& f, void (*entry)(void*), void* arg) {
  f.stack = pool().get();
  f.stack_bytes = kStackBytes;
#if SIMT_ASAN
  __asan_unpoison_memory_region(f.stack, f.stack_bytes);  // frames of a fiber that never returned
#endif
  f.asan_fake_stack = nullptr;
  // The initial frame simt_switch pops: r15, r14, r13 (arg), r12 (entry), rbx, rbp, return
  // address. After the `ret` rsp is 16-byte aligned, as a call site requires.
  auto* top = reinterpret_cast<uintptr_t*>(
      (reinterpret_cast<uintptr_t>(f.stack) + f.stack_bytes - 64) & ~uintptr_t(15));
  uintptr_t* sp = top - 7;
  sp[0] = 0;                                               // r15
  sp[1] = 0;                                               // r14
  sp[2] = reinterpret_cast<uintptr_t>(arg);                // r13
  sp[3] = reinterpret_cast<uintptr_t>(entry);              // r12
  sp[4] = 0;                                               // rbx
  sp[5] = 0;                                               // rbp
  sp[6] = reinterpret_cast<uintptr_t>(&simt_fiber_start);  // return address
  f.sp = sp;
}

void resume_fiber(Fiber& host, Fiber& f) {
  switch_into(host, f, false);
}

void suspend_fiber(Fiber& f, Fiber& host) {
  switch_into(f, host, false);
}

void exit_fiber(Fiber& f, Fiber& host) {
  switch_into(f, host, true);
  __builtin_unreachable();
}

void enter_fiber(Fiber& host) {
#if SIMT_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &host.asan_bottom, &host.asan_size);
#else
  (void)host;
#endif
}

void release_fiber(Fiber& f) {
  if (f.stack) pool().put(f.stack);
  f.stack = nullptr;
  f.sp = nullptr;
}

}  // namespace simt::detail
