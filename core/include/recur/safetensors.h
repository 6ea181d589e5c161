// safetensors files: an 8-byte little-endian header length N, N bytes of JSON mapping each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
// data that follows the header) plus an optional "__metadata__" map of strings to strings.
//
// The reader treats every file as hostile: it rejects, with an error naming the file and the
// tensor, any header length, JSON, dtype, shape or offset that is malformed, overflows,
// overlaps, leaves a gap, runs past the file, or repeats a name. It never reads out of bounds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "recur/tensor.h"

namespace recur {

struct TensorFile {
  std::map<std::string, std::string> metadata;
  std::vector<std::pair<std::string, Tensor>> tensors;  // in order of their data

  const Tensor* find(const std::string& name) const;  // nullptr when absent
  void add(const std::string& name, Tensor tensor);   // throws on a duplicate name
};

// Parses a whole file image; `what` names it in errors (usually the path). Limits beyond the
// format's: a header of at most 100 MB, JSON nested at most 32 deep, at most 64 dimensions.
// Tensors come back in data order, each a copy in its file's dtype; NaN and Inf pass as they
// are. Trailing whitespace after the header's JSON (the usual padding) is accepted.
TensorFile parse_safetensors(const uint8_t* bytes, size_t size, const std::string& what);
// The same checks on a file: regular files only (recur/files.h's InputFile: a device, FIFO or
// directory is refused without blocking), read where the header says (never "until EOF"),
// after checking that the tensors fit in the memory available (an error names the file, the
// largest tensor and the bytes).
TensorFile read_safetensors(const std::string& path);

// The file image. Deterministic: tensors in the order of `file.tensors` (their data in the
// same order), `__metadata__` first (omitted when empty) with its keys sorted, the header
// padded with spaces to a multiple of 8 so that the data starts 8-byte aligned. Refuses what
// the reader would reject (device or undefined tensors, duplicate or non-UTF-8 names).
std::vector<uint8_t> serialize_safetensors(const TensorFile& file);
// Writes atomically: to a temporary file beside `path` (unnamed where the file system has
// O_TMPFILE, else `path`.tmp.<pid>.<n>), fsynced, then renamed over it; a file it replaces
// keeps its permission bits. On any error the temporary file is removed and nothing is left at
// `path` that was not there before. Refuses a `path` that exists and is not a regular file
// (a device, FIFO, directory or symbolic link is never replaced). Temporary files of `path`
// left by dead processes are removed first; recur/files.h's remove_temp_files() is for signal
// handlers.
void write_safetensors(const std::string& path, const TensorFile& file);
// The same temp-then-rename protocol for any bytes (checkpoints, plots, reports).
void write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace recur
