// The time-loop driver called directly on the CUDA executor with every output, gradient and the
// saved region poisoned with NaN on the device before each run (the Backend API allocates its
// own outputs, so only this level proves that every element is written), diffed against
// cpu-ref. Skips without a GPU.
#include <cstring>
#include <functional>

#include <gtest/gtest.h>

#include "kernels/common/driver.h"
#include "test_cuda_support.h"
#include "test_driver_cases.h"
#if RECUR_WITH_CUDA
#include "kernels/cuda/cuda_executor.h"
#endif

namespace recur::test {
namespace {

#if RECUR_WITH_CUDA

using cuda::CudaContext;
using cuda::CudaExecutor;

// A device tensor whose every byte is 0xFF: a NaN in float and in double.
Tensor poisoned_device(const Shape& shape, DType dtype) {
  Tensor t = cuda::device_empty(shape, dtype);
  if (t.nbytes()) CUDA_CHECK(cudaMemset(t.raw(), 0xFF, t.nbytes()));
  return t;
}

template <class T>
const T* dptr(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw()) : nullptr;
}
template <class T>
T* dptr(Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw()) : nullptr;
}

template <class T>
std::vector<driver::DirParams<T>> device_params(const RnnSpec& spec, const RnnParams& p) {
  std::vector<driver::DirParams<T>> out;
  for (int64_t l = 0; l < spec.num_layers; ++l)
    for (int64_t d = 0; d < spec.directions(); ++d) {
      driver::DirParams<T> q;
      q.w_ih = dptr<T>(p.get(ParamKind::W_ih, l, d));
      q.w_hh = dptr<T>(p.get(ParamKind::W_hh, l, d));
      if (spec.bias) {
        q.b_ih = dptr<T>(p.get(ParamKind::b_ih, l, d));
        q.b_hh = dptr<T>(p.get(ParamKind::b_hh, l, d));
      }
      out.push_back(q);
    }
  return out;
}

struct DeviceRun {
  RnnParams params;
  RnnInputs in;
};

DeviceRun to_device_run(const RnnParams& params, const RnnInputs& in) {
  DeviceRun r{params_on(params, Device::CUDA), {}};
  r.in.input = on_device(in.input);
  r.in.h0 = on_device(in.h0);
  r.in.c0 = on_device(in.c0);
  return r;
}

template <class T>
void run_poisoned(const std::shared_ptr<CudaContext>& ctx, Backend& ref, const Case& c) {
  SCOPED_TRACE(c.name());
  const RnnSpec spec = c.spec();
  const DType dtype = dtype_of<T>();
  const Tolerance tol = gpu_tol(dtype);
  const uint64_t seed = std::hash<std::string>{}(c.name());
  const RnnParams params = RnnParams::init_uniform(spec, seed, dtype);
  const RnnInputs in = random_inputs(spec, c.T, c.B, dtype, seed + 1, c.states);
  const DeviceRun dev = to_device_run(params, in);
  const int64_t DH = spec.directions() * spec.hidden_size;
  const Shape out_shape = spec.batch_first ? Shape{c.B, c.T, DH} : Shape{c.T, c.B, DH};
  const Shape state = {spec.num_layers * spec.directions(), c.B, spec.hidden_size};
  const bool lstm = spec.has_cell_state();
  CudaExecutor<T> ex(ctx);

  Tensor saved = poisoned_device({driver::saved_elems(spec, c.T, c.B)}, dtype);
  auto forward = [&](bool training, uint64_t dropout_seed) {
    RnnOutputs out;
    out.output = poisoned_device(out_shape, dtype);
    out.h_n = poisoned_device(state, dtype);
    if (lstm) out.c_n = poisoned_device(state, dtype);
    driver::ForwardArgs<T> a;
    a.spec = spec;
    a.steps = c.T;
    a.batch = c.B;
    a.training = training;
    a.dropout_seed = dropout_seed;
    a.params = device_params<T>(spec, dev.params);
    a.input = dptr<T>(dev.in.input);
    a.h0 = dptr<T>(dev.in.h0);
    a.c0 = dptr<T>(dev.in.c0);
    a.output = dptr<T>(out.output);
    a.h_n = dptr<T>(out.h_n);
    a.c_n = dptr<T>(out.c_n);
    a.saved = training ? dptr<T>(saved) : nullptr;
    driver::forward(ex, a);
    ctx->synchronize();
    return outputs_on_host(out);
  };

  expect_outputs_near(forward(false, 0), ref.forward(spec, params, in, {false, 0}), c.cell, tol,
                      "inference");
  const ForwardOptions train{true, seed + 2};
  const RnnOutputs want = ref.forward(spec, params, in, train);
  expect_outputs_near(forward(true, train.dropout_seed), want, c.cell, tol, "training");

  const RnnGradOutputs grads = case_grads(c, want, seed + 3);
  const Tensor d_gout = on_device(grads.output), d_ghn = on_device(grads.h_n),
               d_gcn = on_device(grads.c_n);
  RnnGrads got;
  got.input = poisoned_device(in.input.shape(), dtype);
  got.h0 = poisoned_device(state, dtype);
  if (lstm) got.c0 = poisoned_device(state, dtype);
  got.params = params;
  for (size_t i = 0; i < params.size(); ++i)
    got.params.set(i, poisoned_device(params[i].shape(), dtype));
  driver::BackwardArgs<T> a;
  a.spec = spec;
  a.steps = c.T;
  a.batch = c.B;
  a.dropout_seed = train.dropout_seed;
  a.params = device_params<T>(spec, dev.params);
  a.input = dptr<T>(dev.in.input);
  a.h0 = dptr<T>(dev.in.h0);
  a.c0 = dptr<T>(dev.in.c0);
  a.saved = dptr<T>(saved);
  a.grad_output = dptr<T>(d_gout);
  a.grad_h_n = dptr<T>(d_ghn);
  a.grad_c_n = dptr<T>(d_gcn);
  a.grad_input = dptr<T>(got.input);
  a.grad_h0 = dptr<T>(got.h0);
  a.grad_c0 = dptr<T>(got.c0);
  for (int64_t l = 0; l < spec.num_layers; ++l)
    for (int64_t d = 0; d < spec.directions(); ++d) {
      driver::DirParamGrads<T> g;
      g.w_ih = dptr<T>(got.params.get(ParamKind::W_ih, l, d));
      g.w_hh = dptr<T>(got.params.get(ParamKind::W_hh, l, d));
      if (spec.bias) {
        g.b_ih = dptr<T>(got.params.get(ParamKind::b_ih, l, d));
        g.b_hh = dptr<T>(got.params.get(ParamKind::b_hh, l, d));
      }
      a.grads.push_back(g);
    }
  driver::backward(ex, a);
  ctx->synchronize();
  expect_grads_near(grads_on_host(got), ref.backward(spec, params, in, want, grads), c.cell, tol,
                    "backward");
}

TEST(CudaDriver, PoisonedOutputsMatchCpuRef) {
  RECUR_SKIP_WITHOUT_CUDA();
  auto ctx = std::make_shared<CudaContext>(false);
  auto ref = make_backend("cpu-ref");
  int i = 0;
  for (Cell cell : {Cell::RNN_TANH, Cell::RNN_RELU, Cell::LSTM, Cell::GRU}) {
    for (bool bi : {false, true}) {
      for (int64_t B : {1, 5}) {
        Case c;
        c.cell = cell;
        c.layers = 2;
        c.bidirectional = bi;
        c.batch_first = i % 2 == 1;
        c.bias = i % 3 != 2;
        c.I = 6;
        c.H = 37;
        c.T = i % 4 == 3 ? 1 : 4;
        c.B = B;
        c.states = i % 4 < 2;
        c.dropout = 0.3;
        c.missing_grads = i % 5 == 4 ? 1 : 0;
        c.dtype = i % 2 == 0 ? DType::F32 : DType::F64;
        if (c.dtype == DType::F32) {
          run_poisoned<float>(ctx, *ref, c);
        } else {
          run_poisoned<double>(ctx, *ref, c);
        }
        ++i;
      }
    }
  }
}

#else

TEST(CudaDriver, NeedsCuda) {
  GTEST_SKIP() << "recur was built without CUDA";
}

#endif  // RECUR_WITH_CUDA

}  // namespace
}  // namespace recur::test
