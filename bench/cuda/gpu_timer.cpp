// Compiled only when RECUR_CUDA is on (see bench/CMakeLists.txt).
#include "gpu_timer.h"

#include "kernels/cuda/device_memory.h"

namespace recur::bench {

namespace {

Tensor device_copy(const Tensor& host) {
  return host.defined() ? cuda::to_device(host) : Tensor();
}

// A host view of a result for checking; device results are copied back.
Tensor host_view(const Tensor& t) {
  return t.defined() && t.device() == Device::CUDA ? cuda::to_host(t) : t;
}

}  // namespace

Timing time_on_device(Backend& backend, const BenchCase& c, const CaseData& host,
                      const TimingOptions& options) {
  RnnParams params = host.params;  // shallow copy; every tensor is replaced by its device copy
  for (size_t i = 0; i < params.size(); ++i) params.set(i, cuda::to_device(host.params[i]));
  RnnInputs in;
  in.input = device_copy(host.inputs.input);
  in.h0 = device_copy(host.inputs.h0);
  in.c0 = device_copy(host.inputs.c0);
  in.lengths = host.inputs.lengths;  // lengths stay on the host
  RnnGradOutputs grads;
  grads.output = device_copy(host.grads.output);
  grads.h_n = device_copy(host.grads.h_n);
  grads.c_n = device_copy(host.grads.c_n);

  const bool training = c.mode == Mode::Training;
  ForwardOptions fo;
  fo.training = training;
  cuda::Event start(true), stop(true);
  bool checked = false;
  const auto call = [&] {
    CUDA_CHECK(cudaDeviceSynchronize());
    start.record(nullptr);
    RnnOutputs out = backend.forward(host.spec, params, in, fo);
    RnnGrads g;
    if (training) g = backend.backward(host.spec, params, in, out, grads);
    CUDA_CHECK(cudaDeviceSynchronize());
    stop.record(nullptr);
    CUDA_CHECK(cudaEventSynchronize(stop.get()));
    const double seconds = stop.elapsed_ms_since(start) * 1e-3;
    if (!checked) {
      RnnOutputs out_host;
      out_host.output = host_view(out.output);
      out_host.h_n = host_view(out.h_n);
      check_forward_result(c, out_host);
      if (training) {
        RnnGrads g_host;
        g_host.input = host_view(g.input);
        check_backward_result(c, g_host);
      }
      checked = true;
    }
    return seconds;
  };
  return measure(call, options);
}

}  // namespace recur::bench
