// recur_bench's GPU backend variants (gpu_variants.h).
#include "gpu_variants.h"

#include "kernels/cuda/cuda_backend.h"
#include "recur/error.h"
#if RECUR_WITH_CUDNN
#include "kernels/cudnn/cudnn_backend.h"
#endif

namespace recur::bench {

namespace {

bool is_cudnn_variant(const std::string& name) {
  return name == "cudnn-static" || name == "cudnn-small-h" || name == "cudnn-dynamic";
}

}  // namespace

bool is_gpu_variant(const std::string& name) {
  return name == "cuda-step" || name == "cuda-persist" || name == "cuda-bf16" ||
         is_cudnn_variant(name);
}

std::unique_ptr<Backend> make_gpu_variant(const std::string& name) {
  if (name == "cuda-step" || name == "cuda-persist" || name == "cuda-bf16") {
    CudaOptions o;
    o.path = name == "cuda-step" ? cuda::CudaPath::Step : cuda::CudaPath::Persistent;
    o.persistent_bf16 = name == "cuda-bf16";
    return make_cuda_backend(o);
  }
#if RECUR_WITH_CUDNN
  CudnnOptions o;
  o.algo = name == "cudnn-static"    ? CudnnAlgo::PersistStatic
           : name == "cudnn-small-h" ? CudnnAlgo::PersistStaticSmallH
                                     : CudnnAlgo::PersistDynamic;
  RECUR_CHECK(is_cudnn_variant(name), "unknown GPU variant '{}'", name);
  return make_cudnn_backend(o);
#else
  RECUR_FAIL("backend {}: recur was built without cuDNN", name);
#endif
}

std::string gpu_variant_skip(const std::string& name, const Backend& backend, const BenchCase& c,
                             DType dtype) {
  if (name != "cuda-persist" && name != "cuda-bf16") return "";
  const std::string path = cuda_path_for(backend, c.spec(), dtype, c.T, c.B, /*backward=*/false);
  if (path.rfind("step: ", 0) == 0) return "the persistent kernel declines: " + path.substr(6);
  if (c.mode == Mode::Training) {
    const std::string back = cuda_path_for(backend, c.spec(), dtype, c.T, c.B, true);
    if (back.rfind("step: ", 0) == 0) return "the persistent backward declines: " + back.substr(6);
  }
  return "";
}

std::string gpu_row_note(const std::string& name, const Backend& backend) {
  if (name != "cuda") return "";
  return "path " + cuda_last_path(backend);
}

size_t gpu_variant_notes(const std::string& name, const Backend& backend) {
#if RECUR_WITH_CUDNN
  if (is_cudnn_variant(name)) return static_cast<const CudnnBackend&>(backend).notes().size();
#else
  (void)name, (void)backend;
#endif
  return 0;
}

std::string gpu_variant_fallback(const std::string& name, const Backend& backend,
                                 size_t notes_before) {
#if RECUR_WITH_CUDNN
  if (!is_cudnn_variant(name)) return "";
  const std::vector<std::string> notes = static_cast<const CudnnBackend&>(backend).notes();
  return notes.size() > notes_before ? notes.back() : "";
#else
  (void)name, (void)backend, (void)notes_before;
  return "";
#endif
}

}  // namespace recur::bench
