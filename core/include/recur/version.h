#pragma once

namespace recur {
const char* version();  // "0.1.0"
}  // namespace recur
