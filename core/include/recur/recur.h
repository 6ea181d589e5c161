// The whole public API of recur.
#pragma once

#include "recur/backend.h"
#include "recur/cpu_isa.h"
#include "recur/error.h"
#include "recur/files.h"
#include "recur/model_io.h"
#include "recur/random.h"
#include "recur/rnn.h"
#include "recur/safetensors.h"
#include "recur/tensor.h"
#include "recur/version.h"

// The training stack: layers, losses, optimizers, data, models and the two training tasks.
#include "recur/train/char_task.h"
#include "recur/train/data.h"
#include "recur/train/layers.h"
#include "recur/train/loss.h"
#include "recur/train/model.h"
#include "recur/train/optim.h"
#include "recur/train/param.h"
#include "recur/train/sine_task.h"
#include "recur/train/text.h"
