// The main of every test program linked against simt: GoogleTest, plus the emulator's seed
// printed after any failed test so that the failing schedule can be repeated.
#include <cstdio>

#include <gtest/gtest.h>

#include "simt/control.h"

namespace {

class PrintSeedOnFailure : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result()->Failed())
      std::printf("simt: %s.%s failed with seed %llu (SIMT_SEED=%llu repeats the schedule)\n",
                  info.test_suite_name(), info.name(),
                  static_cast<unsigned long long>(simt::seed()),
                  static_cast<unsigned long long>(simt::seed()));
  }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::UnitTest::GetInstance()->listeners().Append(new PrintSeedOnFailure);
  return RUN_ALL_TESTS();
}
