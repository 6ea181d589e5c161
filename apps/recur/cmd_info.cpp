#include <cstdio>
#include <string>

#include "args.h"
#include "commands.h"
#include "recur/recur.h"

namespace recur::cli {

int cmd_info(int argc, char** argv) {
  Args args(argc, argv, {});
  if (args.help()) {
    std::printf(
        "usage: recur info\n\nPrints the version, the backends compiled in, the default\n"
        "backend, whether a usable GPU is present, and the CPU's vector path\n"
        "(RECUR_CPU_ISA=scalar|avx2|avx512 forces one the machine has); with a GPU,\n"
        "the cuda backend's time loop (RECUR_CUDA_PATH=auto|persistent|step) and the\n"
        "largest hidden size its persistent kernels hold on chip, per cell.\n");
    return 0;
  }
  args.no_positional();
  std::string gpu;
  const bool has_gpu = gpu_available(&gpu);
  std::printf("recur %s\n", version());
  std::printf("backends: %s\n", fmt::format("{}", fmt::join(backend_names(), ", ")).c_str());
  std::printf("default backend: %s\n", default_backend_name().c_str());
  std::printf("gpu: %s%s\n", has_gpu ? "yes, " : "no, ", gpu.c_str());
  std::printf("cpu: %s\n", cpu_model().c_str());
  std::printf("cpu isa: %s\n", cpu_isa_description().c_str());
  // What the GPU backends say about themselves on this device (the cuda backend: its time
  // loop and where the persistent kernels fit).
  if (has_gpu) {
    for (const std::string& name : backend_names()) {
      if (name != "cuda") continue;
      try {
        const std::string about = make_backend(name)->describe();
        if (!about.empty()) std::printf("%s\n", about.c_str());
      } catch (const Error& e) {
        std::printf("%s: %s\n", name.c_str(), e.what());
      }
    }
  }
  return 0;
}

}  // namespace recur::cli
