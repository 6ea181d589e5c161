#include "recur/safetensors.h"
