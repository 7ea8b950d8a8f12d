#include "common/memory_budget.h"

#include <algorithm>
#include <utility>

namespace stasis {

MemoryBudget::MemoryBudget(int64_t total_mib) : total_(std::max<int64_t>(total_mib, 1)) {}

MemoryBudget::Lease::Lease(Lease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), mib_(std::exchange(other.mib_, 0)) {}

MemoryBudget::Lease& MemoryBudget::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (budget_ != nullptr) budget_->Release(mib_);
    budget_ = std::exchange(other.budget_, nullptr);
    mib_ = std::exchange(other.mib_, 0);
  }
  return *this;
}

MemoryBudget::Lease::~Lease() {
  if (budget_ != nullptr) budget_->Release(mib_);
}

MemoryBudget::Lease MemoryBudget::Acquire(int64_t mib,
                                          const std::function<void(int64_t)>& on_wait) {
  mib = std::clamp<int64_t>(mib, 0, total_);
  std::unique_lock lock(mu_);
  const uint64_t ticket = next_ticket_++;
  auto fits = [&] { return serving_ == ticket && in_use_ + mib <= total_; };
  if (!fits()) {
    if (on_wait) on_wait(in_use_);
    cv_.wait(lock, fits);
  }
  in_use_ += mib;
  ++serving_;
  // The next in line may fit too.
  cv_.notify_all();
  return Lease(this, mib);
}

int64_t MemoryBudget::in_use_mib() {
  std::lock_guard lock(mu_);
  return in_use_;
}

void MemoryBudget::Release(int64_t mib) {
  {
    std::lock_guard lock(mu_);
    in_use_ -= mib;
  }
  cv_.notify_all();
}

}  // namespace stasis
