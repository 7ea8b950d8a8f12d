// URI-scheme dispatch: maps "file" to local storage and lets plugins add
// schemes such as "s3".
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "storage/storage.h"

namespace stasis::storage {

using StorageFactory = std::function<Result<std::shared_ptr<Storage>>()>;

// Registers a backend for `scheme`. Thread-safe.
void RegisterScheme(const std::string& scheme, StorageFactory factory);
void UnregisterScheme(const std::string& scheme);

// Called, without locks held, when no backend serves a scheme, so that the
// daemon can load a plugin on first use (it may call RegisterScheme).
using SchemeResolver = std::function<void(const std::string& scheme)>;
void SetSchemeResolver(SchemeResolver resolver);

// The backend for `location`. For "s3://" without the plugin it fails with
// a sentence naming `stasis plugin install storage/s3`.
Result<std::shared_ptr<Storage>> StorageFor(const std::string& location);

}  // namespace stasis::storage
