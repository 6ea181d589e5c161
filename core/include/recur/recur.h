// The whole public API of recur.
#pragma once

#include "recur/backend.h"
#include "recur/error.h"
#include "recur/model_io.h"
#include "recur/random.h"
#include "recur/rnn.h"
#include "recur/safetensors.h"
#include "recur/tensor.h"
#include "recur/version.h"
