#include "common/memory_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace stasis {
namespace {

using namespace std::chrono_literals;

TEST(MemoryBudgetTest, LeasesWithinTheBudgetDoNotWaitAndGiveTheirMemoryBack) {
  MemoryBudget budget(100);
  {
    bool waited = false;
    MemoryBudget::Lease a = budget.Acquire(60, [&](int64_t) { waited = true; });
    MemoryBudget::Lease b = budget.Acquire(40, [&](int64_t) { waited = true; });
    EXPECT_FALSE(waited);
    EXPECT_EQ(budget.in_use_mib(), 100);
  }
  EXPECT_EQ(budget.in_use_mib(), 0);
}

TEST(MemoryBudgetTest, AnOperationThatDoesNotFitWaitsUntilMemoryIsGivenBack) {
  MemoryBudget budget(100);
  auto first = std::make_unique<MemoryBudget::Lease>(budget.Acquire(70));
  std::atomic<bool> got{false};
  int64_t in_use_seen = -1;
  std::thread t([&] {
    MemoryBudget::Lease second = budget.Acquire(50, [&](int64_t in_use) { in_use_seen = in_use; });
    got = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(got) << "50 MiB fitted beside 70 of a 100 MiB budget";
  first.reset();
  t.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(in_use_seen, 70);
  EXPECT_EQ(budget.in_use_mib(), 0);
}

TEST(MemoryBudgetTest, ALargerNeedThanTheBudgetRunsAlone) {
  MemoryBudget budget(100);
  MemoryBudget::Lease big = budget.Acquire(500);
  EXPECT_EQ(big.mib(), 100);
  EXPECT_EQ(budget.in_use_mib(), 100);
}

// A large operation is not starved by small ones arriving after it.
TEST(MemoryBudgetTest, CallersAreServedInTheOrderTheyCame) {
  MemoryBudget budget(100);
  auto held = std::make_unique<MemoryBudget::Lease>(budget.Acquire(60));
  std::vector<int> order;
  std::mutex mu;
  std::thread big([&] {
    MemoryBudget::Lease l = budget.Acquire(80);
    std::lock_guard lock(mu);
    order.push_back(80);
  });
  std::this_thread::sleep_for(100ms);  // `big` takes its ticket and waits
  std::thread small([&] {
    MemoryBudget::Lease l = budget.Acquire(10);  // fits now, but came later
    std::lock_guard lock(mu);
    order.push_back(10);
  });
  std::this_thread::sleep_for(100ms);
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(order.empty()) << "the later, smaller caller went first";
  }
  held.reset();
  big.join();
  small.join();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], 80);
  EXPECT_EQ(order[1], 10);
}

TEST(MemoryBudgetTest, AMovedLeaseReleasesOnce) {
  MemoryBudget budget(100);
  {
    MemoryBudget::Lease a = budget.Acquire(30);
    MemoryBudget::Lease b = std::move(a);
    EXPECT_EQ(budget.in_use_mib(), 30);
  }
  EXPECT_EQ(budget.in_use_mib(), 0);
}

}  // namespace
}  // namespace stasis
