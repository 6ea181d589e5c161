#include <cstdio>
#include "recur/recur.h"
int main() { std::printf("recur %s\n", recur::version()); }
