// Storage used with a caller's rights: for local storage when a non-root
// user asks the daemon (root) to write or read a checkpoint. Every Storage
// call runs on the calling thread under a ScopedFsIdentity of the caller, so
// the kernel checks each path as the caller would, and files the caller's
// writers create belong to the caller.
//
// For local storage only: a backend that reads files of its own (the S3
// plugin's config, credentials and CA bundle) must keep root's rights, so
// the daemon wraps only "/path" and file:// locations. Writers and readers
// of local storage do their path lookups (opening the directory, creating
// the temp file, opening the object) in NewWriter()/NewReader(); of the
// methods that come later only Writer::Commit() and Writer::Abort() touch
// names (rename and unlink inside the directory fd), and they run as the
// caller too. Append() and Read() use the open fd and may run on any thread.
#pragma once

#include <memory>

#include "common/caller.h"
#include "storage/storage.h"

namespace stasis::storage {

// `inner` itself for a root caller. Otherwise a Storage that refuses
// everything the caller could not do, with the inner storage's sentence
// prefixed "as uid 1001: " when the refusal is PermissionDenied; and with
// the scope's Status if the daemon could not take the caller's identity.
// Thread-safe as far as `inner` is.
std::shared_ptr<Storage> StorageAsCaller(std::shared_ptr<Storage> inner, const Caller& caller);

}  // namespace stasis::storage
