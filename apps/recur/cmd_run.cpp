// `recur run`: one forward (and, when gradients are given, one backward) pass of a network read
// from a safetensors file, on an input read from another, written to a third. The contract is
// DESIGN.md's "The recur run contract"; the rules this file adds to it are in kUsage, which is
// also what `recur run --help` prints and what README.md repeats.
//
// Every file is checked completely before anything runs, and every complaint names the file,
// the tensor and what was expected. The result is written only after the whole run succeeded,
// through write_safetensors (temporary file + rename), so a failed run leaves no file behind
// and does not touch a file that was already at --output.
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "recur/recur.h"

namespace recur::cli {

namespace {

constexpr const char* kUsage =
    R"(usage: recur run --weights W.safetensors --input X.safetensors --output Y.safetensors
                 [--backend NAME] [--dtype f32|f64]

Runs the network in W on the input in X and writes the results to Y.

  --weights  the network: parameters under PyTorch's nn.RNN/nn.LSTM/nn.GRU state_dict names
             (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse; F32, or
             F16/BF16/F64 converted) and the __metadata__ keys mode (RNN_TANH, RNN_RELU,
             LSTM, GRU), input_size, hidden_size, num_layers, bidirectional, bias,
             batch_first (booleans true/false) and optionally dropout and proj_size (LSTM
             only, 0 < proj_size < hidden_size: h = W_hr (o * tanh(c)) with weight_hr_l0
             [proj_size, H], as PyTorch's; 0 or absent: none); or a recur checkpoint
             (recur train sine/chars), whose RNN part is run (its head, embedding and
             optimizer state are ignored)
  --input    the data, X: input [T, B, I] ([B, T, I] when batch_first); optional h0 and c0
             [L*D, B, H] (zeros when absent; c0 for LSTM only); optional lengths [B] (I64 or
             I32, each in [1, T]: a variable-length batch, PyTorch's packed sequences);
             optional gradients of the loss grad_output (the shape of output), grad_h_n,
             grad_c_n (LSTM) [L*D, B, H]
             (with proj_size P: h0 and grad_h_n [L*D, B, P], c0 and grad_c_n [L*D, B, H])
  --output   where the results go, Y: output [T, B, D*H] ([B, T, D*H] when batch_first), h_n,
             c_n (LSTM) [L*D, B, H] (with proj_size P: output D*P wide, h_n [L*D, B, P]);
             after a backward pass also grad_input, grad_h0,
             grad_c0 (LSTM) and grad.<parameter name> for every parameter. Y's __metadata__
             holds backend, recur_version, dtype and pass (forward or forward+backward). Y is
             a new path or a regular file, which is replaced; never W or X (exit 2), nor a
             device, FIFO, directory or symbolic link (refused, exit 1: write to a file)
  --backend  cpu-ref, cpu, onednn, cuda, cudnn (those compiled in; see recur info) or auto (the
             default: cuda when a usable GPU is present, else cpu)
  --dtype    f32 (default) or f64: what the run computes in and Y is written in; every
             tensor of W and X is converted to it

Rules:
  - The backward pass runs when X holds any of grad_output, grad_h_n, grad_c_n; it computes
    the gradients of sum(output*grad_output) + sum(h_n*grad_h_n) + sum(c_n*grad_c_n), the
    absent terms being zero.
  - Dropout is never applied (a dropout key in W is ignored), so a run is deterministic and
    matches PyTorch's eval-mode forward; the backward pass runs through a training forward
    with dropout 0.
  - With lengths, sequence b runs its first lengths[b] steps only, in any order of lengths
    (torch.nn.utils.rnn.pack_padded_sequence with enforce_sorted=False): its output past
    its length is zero, h_n and c_n are its states after its own last step, the reverse
    direction starts at its last step, and grad_input is zero at the padded steps (the
    padded part of grad_output is ignored).
  - X may hold only the tensors named above: an unknown name (a typo such as h_0) is an error,
    as is c0 or grad_c_n for a network without cell state.
  - W and X must be regular files (a device, FIFO or directory is refused without reading
    it), and their tensors must fit in the memory available: an error names the file, the
    largest tensor and the bytes.
  - A NaN or infinity in W or X, or a value that overflows the --dtype, is an error naming
    the tensor and the first bad element.
  - Any error prints one line on stderr naming the file, the tensor and what was expected,
    and leaves --output as it was (no file is created or changed). Success prints one line
    on stdout saying what was written.

exit status: 0 success, 1 an error in the files or the run, 2 a usage error (bad flags)
)";

struct RunFlags {
  std::string weights, input, output, backend;
  DType dtype = DType::F32;
};

RunFlags parse_flags(const Args& args) {
  args.no_positional();
  RunFlags f;
  f.weights = args.required("weights");
  f.input = args.required("input");
  f.output = args.required("output");
  f.backend = args.str("backend", "auto");
  const std::string dtype = args.str("dtype", "f32");
  RECUR_USAGE_CHECK(dtype == "f32" || dtype == "f64", "flag --dtype: expected f32 or f64, got '{}'",
                    dtype);
  f.dtype = dtype == "f64" ? DType::F64 : DType::F32;
  const std::vector<std::string> names = backend_names();
  bool known = f.backend == "auto";
  for (const std::string& n : names) known = known || n == f.backend;
  RECUR_USAGE_CHECK(known, "flag --backend: unknown backend '{}' (available: {}, auto)", f.backend,
                    fmt::join(names, ", "));
  return f;
}

// "[1, 0, 3]": the position of element `flat` of a row-major tensor of `shape`.
std::string index_str(const Shape& shape, int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    index[k] = flat % shape[k];
    flat /= shape[k];
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

// Converts `t` (tensor `name` of `file`) to `dtype`, refusing non-finite values and values
// that do not fit the new dtype.
Tensor checked_convert(const Tensor& t, DType dtype, const std::string& file,
                       const std::string& name) {
  RECUR_CHECK(dtype_is_float(t.dtype()), "{}: tensor '{}': expected a floating-point dtype, got {}",
              file, name, dtype_name(t.dtype()));
  for (int64_t i = 0; i < t.numel(); ++i)
    RECUR_CHECK(std::isfinite(t.item(i)), "{}: tensor '{}': non-finite value {} at {}", file, name,
                t.item(i), index_str(t.shape(), i));
  Tensor converted = t.to(dtype);
  for (int64_t i = 0; i < converted.numel(); ++i)
    RECUR_CHECK(std::isfinite(converted.item(i)), "{}: tensor '{}': value {} at {} overflows {}",
                file, name, t.item(i), index_str(t.shape(), i), dtype_name(dtype));
  return converted;
}

struct Model {
  RnnSpec spec;
  RnnParams params;
};

Model load_weights(const std::string& path, DType dtype) {
  const TensorFile file = read_safetensors(path);
  Model m;
  m.spec = spec_from_metadata(file.metadata, path);
  m.spec.dropout = 0.0;  // never applied by `recur run` (see kUsage)
  // A checkpoint (Model::save writes "head") also holds the head, embedding and optimizer.
  const bool checkpoint = file.metadata.count("head") > 0;
  // Read as stored, so that non-finite values are reported before any conversion.
  const RnnParams stored = params_from_file(m.spec, file, path, DType::F64, checkpoint);
  m.params = RnnParams(m.spec, dtype);
  for (size_t i = 0; i < stored.size(); ++i) {
    const Tensor* original = file.find(stored.name(i));
    RECUR_ASSERT(original != nullptr);
    m.params.set(i, checked_convert(*original, dtype, path, stored.name(i)));
  }
  return m;
}

// What X asks for: the inputs, the gradients (when `backward`) and the layout they imply.
struct Request {
  RnnInputs in;
  RnnGradOutputs grads;
  bool backward = false;
};

// Checks that tensor `name` of `file` has exactly `shape`; `meaning` spells the shape out in
// letters ("[L*D, B, H]") so that the user sees where the numbers come from.
void expect_shape(const Tensor& t, const Shape& shape, const std::string& file,
                  const std::string& name, const std::string& meaning) {
  RECUR_CHECK(t.shape() == shape, "{}: tensor '{}': expected shape {} ({}), got {}", file, name,
              shape_str(shape), meaning, shape_str(t.shape()));
}

// The optional `lengths` of X: I64 or I32 [B], every value in [1, T], kept as it is.
Tensor load_lengths(const Tensor* t, const std::string& path, int64_t T, int64_t B) {
  if (t == nullptr) return Tensor();
  RECUR_CHECK(t->dtype() == DType::I64 || t->dtype() == DType::I32,
              "{}: tensor 'lengths': expected dtype I64 or I32 (sequence lengths), got {}", path,
              dtype_name(t->dtype()));
  expect_shape(*t, {B}, path, "lengths", "[B], one length per sequence");
  for (int64_t b = 0; b < B; ++b) {
    const double len = t->item(b);
    RECUR_CHECK(len >= 1 && len <= static_cast<double>(T),
                "{}: tensor 'lengths': element [{}] is {}, outside [1, {}] (1 <= length <= T)",
                path, b, static_cast<int64_t>(len), T);
  }
  return *t;
}

Request load_request(const std::string& path, const RnnSpec& spec, DType dtype) {
  const TensorFile file = read_safetensors(path);
  const bool lstm = spec.has_cell_state();
  const std::vector<std::string> known =
      lstm ? std::vector<std::string>{"input",       "h0",       "c0",      "lengths",
                                      "grad_output", "grad_h_n", "grad_c_n"}
           : std::vector<std::string>{"input", "h0", "lengths", "grad_output", "grad_h_n"};
  for (const auto& [name, tensor] : file.tensors) {
    if (!lstm && (name == "c0" || name == "grad_c_n"))
      RECUR_FAIL("{}: tensor '{}': given, but a {} network has no cell state", path, name,
                 cell_name(spec.cell));
    bool ok = false;
    for (const std::string& k : known) ok = ok || k == name;
    RECUR_CHECK(ok, "{}: unknown tensor '{}' (a {} network's input file holds only {})", path, name,
                cell_name(spec.cell), fmt::join(known, ", "));
  }

  const Tensor* input = file.find("input");
  const std::string in_letters = spec.batch_first ? "[B, T, input_size]" : "[T, B, input_size]";
  RECUR_CHECK(input != nullptr, "{}: tensor 'input' missing (expected shape {})", path, in_letters);
  RECUR_CHECK(input->ndim() == 3 && input->dim(2) == spec.input_size,
              "{}: tensor 'input': expected shape {} with input_size {}, got {}", path, in_letters,
              spec.input_size, shape_str(input->shape()));
  const int64_t T = spec.batch_first ? input->dim(1) : input->dim(0);
  const int64_t B = spec.batch_first ? input->dim(0) : input->dim(1);
  RECUR_CHECK(T > 0 && B > 0, "{}: tensor 'input': expected T > 0 and B > 0 ({}), got {}", path,
              in_letters, shape_str(input->shape()));

  const Shape state = state_shape(spec, {T, B});
  const Shape cell_state = cell_state_shape(spec, {T, B});
  const Shape output = output_shape(spec, {T, B});
  // With an LSTM projection h (and so each direction's output) is proj_size wide, c stays H.
  const bool proj = spec.proj_size > 0;
  const std::string state_letters = proj ? "[L*D, B, proj_size]" : "[L*D, B, H]";
  const std::string cell_letters = "[L*D, B, H]";
  const std::string out_letters =
      proj ? (spec.batch_first ? "[B, T, D*proj_size]" : "[T, B, D*proj_size]")
           : (spec.batch_first ? "[B, T, D*H]" : "[T, B, D*H]");

  Request r;
  r.in.input = checked_convert(*input, dtype, path, "input");
  // Optional tensors: shape-checked and converted when present, undefined (zeros) otherwise.
  auto optional = [&](const char* name, const Shape& shape, const std::string& letters) {
    const Tensor* t = file.find(name);
    if (t == nullptr) return Tensor();
    expect_shape(*t, shape, path, name, letters);
    return checked_convert(*t, dtype, path, name);
  };
  r.in.h0 = optional("h0", state, state_letters);
  r.in.lengths = load_lengths(file.find("lengths"), path, T, B);
  r.grads.output = optional("grad_output", output, out_letters);
  r.grads.h_n = optional("grad_h_n", state, state_letters);
  if (lstm) {
    r.in.c0 = optional("c0", cell_state, cell_letters);
    r.grads.c_n = optional("grad_c_n", cell_state, cell_letters);
  }
  r.backward = r.grads.output.defined() || r.grads.h_n.defined() || r.grads.c_n.defined();
  return r;
}

// The results are held in memory until they are written: refused before the run when they
// cannot fit (the backend's own workspace comes on top).
void check_result_memory(const RnnSpec& spec, const RnnParams& params, const Request& r,
                         DType dtype, const std::string& output) {
  const Tensor& input = r.in.input;
  const int64_t T = spec.batch_first ? input.dim(1) : input.dim(0);
  const int64_t B = spec.batch_first ? input.dim(0) : input.dim(1);
  const Shape out = output_shape(spec, {T, B});
  const uint64_t states =
      static_cast<uint64_t>(shape_numel(state_shape(spec, {T, B}))) +
      (spec.has_cell_state() ? static_cast<uint64_t>(shape_numel(cell_state_shape(spec, {T, B})))
                             : 0);
  uint64_t numel = static_cast<uint64_t>(shape_numel(out)) + states;
  if (r.backward) {
    numel += static_cast<uint64_t>(input.numel()) + states;
    for (size_t i = 0; i < params.size(); ++i) numel += static_cast<uint64_t>(params[i].numel());
  }
  check_memory(numel * dtype_size(dtype),
               fmt::format("'{}': the results (output {}{})", output, shape_str(out),
                           r.backward ? " and the gradients" : ""));
}

// Backends return host tensors for host inputs; anything else is a bug worth naming.
Tensor host(const Tensor& t, const char* what) {
  RECUR_CHECK(t.defined(), "internal error: the backend returned no '{}'", what);
  RECUR_CHECK(t.device() == Device::CPU, "internal error: the backend returned '{}' on a device",
              what);
  return t;
}

}  // namespace

int cmd_run(int argc, char** argv) {
  const Args args(argc, argv, {"weights", "input", "output", "backend", "dtype"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const RunFlags flags = parse_flags(args);
  for (const std::string* in : {&flags.weights, &flags.input})
    RECUR_USAGE_CHECK(!same_file(flags.output, *in),
                      "flag --output: '{}' is the same file as --{} '{}'; it would be replaced",
                      flags.output, in == &flags.weights ? "weights" : "input", *in);

  // The backend first: a backend that cannot run here fails before any file is read.
  const std::unique_ptr<Backend> backend =
      make_backend(flags.backend == "auto" ? default_backend_name() : flags.backend);
  const Model model = load_weights(flags.weights, flags.dtype);
  const Request request = load_request(flags.input, model.spec, flags.dtype);
  check_result_memory(model.spec, model.params, request, flags.dtype, flags.output);

  ForwardOptions options;
  options.training = request.backward;  // dropout is 0 (see load_weights)
  const RnnOutputs out = backend->forward(model.spec, model.params, request.in, options);

  TensorFile result;
  result.metadata = {{"backend", backend->name()},
                     {"recur_version", version()},
                     {"dtype", dtype_name(flags.dtype)},
                     {"pass", request.backward ? "forward+backward" : "forward"}};
  result.add("output", host(out.output, "output"));
  result.add("h_n", host(out.h_n, "h_n"));
  if (model.spec.has_cell_state()) result.add("c_n", host(out.c_n, "c_n"));
  if (request.backward) {
    const RnnGrads g = backend->backward(model.spec, model.params, request.in, out, request.grads);
    result.add("grad_input", host(g.input, "grad_input"));
    result.add("grad_h0", host(g.h0, "grad_h0"));
    if (model.spec.has_cell_state()) result.add("grad_c0", host(g.c0, "grad_c0"));
    for (size_t i = 0; i < g.params.size(); ++i) {
      const std::string name = "grad." + g.params.name(i);
      result.add(name, host(g.params[i], name.c_str()));
    }
  }
  write_safetensors(flags.output, result);

  // One line on stdout that says what happened; scripts can ignore it.
  std::string summary =
      fmt::format("output {}, h_n {}", shape_str(out.output.shape()), shape_str(out.h_n.shape()));
  if (model.spec.has_cell_state()) summary += fmt::format(", c_n {}", shape_str(out.c_n.shape()));
  if (request.backward)
    summary += fmt::format(" + gradients of input, h0{} and {} parameters",
                           model.spec.has_cell_state() ? ", c0" : "", model.params.size());
  std::printf("recur run: wrote %s (backend %s, %s, %s): %s\n", flags.output.c_str(),
              backend->name().c_str(), dtype_name(flags.dtype), result.metadata["pass"].c_str(),
              summary.c_str());
  return 0;
}

}  // namespace recur::cli
