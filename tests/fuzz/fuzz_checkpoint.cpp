// libFuzzer target over the safetensors reader and the checkpoint loader's checks: any bytes
// must end in a parsed file or a recur::Error, never a crash, a hang, another exception or a
// runaway allocation. Each input goes through parse_safetensors (from memory) and
// read_safetensors (from a memfd, the file path), then what loading a checkpoint checks: the
// digest and finite values, the RNN spec, the optimizer step count and the vocabulary.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/src/train/checkpoint.h"
#include "recur/error.h"
#include "recur/model_io.h"
#include "recur/safetensors.h"
#include "recur/train/text.h"

namespace {

void load_as_checkpoint(const recur::TensorFile& file) {
  try {
    recur::train::detail::validate_checkpoint(file, "fuzz");
  } catch (const recur::Error&) {
  }
  try {
    recur::spec_from_metadata(file.metadata, "fuzz");
  } catch (const recur::Error&) {
  }
  const auto step = file.metadata.find("optim.step");
  if (step != file.metadata.end()) try {
      recur::train::detail::parse_step_count(step->second, "fuzz");
    } catch (const recur::Error&) {
    }
  const auto vocab = file.metadata.find("vocab");
  if (vocab != file.metadata.end()) try {
      recur::train::Vocab::from_metadata(vocab->second, "fuzz");
    } catch (const recur::Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    load_as_checkpoint(recur::parse_safetensors(data, size, "fuzz"));
  } catch (const recur::Error&) {
  }
  static const int fd = memfd_create("fuzz", 0);
  if (fd >= 0 && ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == static_cast<ssize_t>(size)) {
    try {
      recur::read_safetensors("/proc/self/fd/" + std::to_string(fd));
    } catch (const recur::Error&) {
    }
  }
  return 0;
}
