#include "storage/storage_registry.h"

#include <map>
#include <mutex>

#include "storage/local/local_storage.h"
#include "storage/location.h"

namespace stasis::storage {

namespace {

struct SchemeTable {
  std::mutex mu;
  std::map<std::string, StorageFactory> factories;  // guarded by mu
  SchemeResolver resolver;                          // guarded by mu
};

// Local storage keeps no state, so one instance serves every caller.
Result<std::shared_ptr<Storage>> LocalStorageFactory() {
  static const auto* const kLocal = new std::shared_ptr<Storage>(std::make_shared<LocalStorage>());
  return *kLocal;
}

// Never destroyed: plugins may unregister from their own static destructors,
// which run in no defined order relative to ours.
SchemeTable& Table() {
  static SchemeTable* const table = [] {
    auto* t = new SchemeTable;
    t->factories["file"] = LocalStorageFactory;
    return t;
  }();
  return *table;
}

}  // namespace

void RegisterScheme(const std::string& scheme, StorageFactory factory) {
  SchemeTable& t = Table();
  std::lock_guard lock(t.mu);
  t.factories[scheme] = std::move(factory);
}

void UnregisterScheme(const std::string& scheme) {
  SchemeTable& t = Table();
  std::lock_guard lock(t.mu);
  t.factories.erase(scheme);
}

void SetSchemeResolver(SchemeResolver resolver) {
  SchemeTable& t = Table();
  std::lock_guard lock(t.mu);
  t.resolver = std::move(resolver);
}

namespace {

std::pair<StorageFactory, SchemeResolver> Lookup(const std::string& scheme) {
  SchemeTable& t = Table();
  std::lock_guard lock(t.mu);
  auto it = t.factories.find(scheme);
  return {it == t.factories.end() ? StorageFactory() : it->second, t.resolver};
}

}  // namespace

Result<std::shared_ptr<Storage>> StorageFor(const std::string& location) {
  ASSIGN_OR_RETURN(Location loc, ParseLocation(location));
  auto [factory, resolver] = Lookup(loc.scheme);
  if (!factory && resolver) {
    resolver(loc.scheme);
    factory = Lookup(loc.scheme).first;
  }
  if (!factory) {
    if (loc.scheme == "s3") {
      return Status::FailedPrecondition(
          "s3:// storage needs the storage/s3 plugin; install it with "
          "`stasis plugin install storage/s3`");
    }
    return Status::FailedPrecondition("no storage backend is registered for " + loc.scheme + "://");
  }
  // Called without the lock: a factory may be slow (S3 credentials) or
  // register schemes itself.
  ASSIGN_OR_RETURN(std::shared_ptr<Storage> storage, factory());
  if (storage == nullptr)
    return Status::Internal("the " + loc.scheme + ":// storage backend returned no storage");
  return storage;
}

}  // namespace stasis::storage
