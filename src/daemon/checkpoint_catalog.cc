// The Checkpointer's catalog: which checkpoints exist, what each says about
// itself, whether it is authentic, and who may see, pick or delete it.
#include <algorithm>

#include "archive/checkpoint_archive.h"
#include "common/log.h"
#include "daemon/checkpointer.h"
#include "daemon/streamed_checkpoint.h"
#include "storage/caller_storage.h"
#include "storage/location.h"
#include "storage/ranged_reader.h"
#include "storage/storage_registry.h"

namespace stasis::daemon {

namespace {

bool IsOwnedBy(const archive::Manifest& m, const Caller& caller) {
  return caller.is_root() || m.job.uid == caller.uid;
}

}  // namespace

Result<std::shared_ptr<storage::Storage>> Checkpointer::StorageFor(const std::string& location,
                                                                   const Caller& caller) {
  ASSIGN_OR_RETURN(storage::Location parsed, storage::ParseLocation(location));
  ASSIGN_OR_RETURN(auto store, storage::StorageFor(location));
  // Local files are touched with the caller's own rights; S3 is reached
  // with the daemon's credentials, and ownership there is the manifest's.
  if (parsed.scheme == "file" && !caller.is_root())
    return storage::StorageAsCaller(std::move(store), caller);
  return store;
}

Result<CheckpointSummary> Checkpointer::Describe(storage::Storage* store,
                                                 const std::string& location, bool is_prefix,
                                                 uint64_t size_if_known) {
  CheckpointSummary c;
  c.record.location = location;
  if (is_prefix) {
    ASSIGN_OR_RETURN(stream::StreamManifest m, stream::ReadStreamManifest(store, location));
    c.verdict = trust_.Of(m);
    c.encrypted = !m.encryption.cipher.empty();
    c.header = std::move(m.checkpoint);
    c.header.seal = std::move(m.seal);
    for (const auto& s : m.shards) c.record.size += s.size;
    c.record.kind = "stream";
  } else {
    // The header is the archive's first member: read only the head.
    uint64_t size = size_if_known;
    if (size == 0) {
      ASSIGN_OR_RETURN(storage::ObjectInfo info, store->Stat(location));
      size = info.size;
    }
    storage::RangedReader reader(store, location, size);
    ASSIGN_OR_RETURN(c.header, archive::ReadCheckpointHeader(reader));
    c.verdict = trust_.Of(c.header);
    c.record.size = size;
    c.record.kind = c.header.kind;
  }
  c.authenticity = AuthenticityName(c.verdict);
  c.record.job_id = c.header.job_id;
  c.record.created = c.header.created_unix;
  c.record.compression = c.header.compression;
  return c;
}

Result<std::vector<CheckpointSummary>> Checkpointer::ListDir(const std::string& dir,
                                                             const Caller& caller) {
  ASSIGN_OR_RETURN(auto store, StorageFor(dir, caller));
  ASSIGN_OR_RETURN(auto entries, store->List(dir));
  std::vector<CheckpointSummary> out;
  for (const auto& e : entries) {
    const bool prefix = e.is_dir && e.name.rfind("dump-", 0) == 0;
    if (!prefix && (e.is_dir || !LooksLikeCheckpointName(e.name))) continue;
    // A prefix without a manifest is not (yet) a checkpoint; a tar without
    // a stasis header is not one of ours.
    auto c = Describe(store.get(), e.location, prefix, e.size);
    if (!c.ok()) {
      if (!prefix) STASIS_LOG(Warn) << "skipping " << e.location << ": " << c.status().message();
      continue;
    }
    if (IsOwnedBy(c->header, caller)) out.push_back(std::move(*c));
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.record.created != b.record.created) return a.record.created > b.record.created;
    return a.record.location > b.record.location;
  });
  return out;
}

Result<std::vector<CheckpointSummary>> Checkpointer::ListJob(const std::string& jid,
                                                             const Caller& caller) {
  if (!jid.empty() && !caller.is_root()) RETURN_IF_ERROR(jobs_->GetOwned(jid, caller).status());
  ASSIGN_OR_RETURN(auto records, registry_->ListCheckpoints(jid));
  std::vector<CheckpointSummary> out;
  for (auto& r : records) {
    if (jid.empty() && !caller.is_root() && !jobs_->GetOwned(r.job_id, caller).ok()) continue;
    CheckpointSummary c;
    c.record = std::move(r);
    c.header.job_id = c.record.job_id;
    c.header.compression = c.record.compression;
    out.push_back(std::move(c));
  }
  return out;
}

Result<CheckpointSummary> Checkpointer::Inspect(const std::string& location, const Caller& caller) {
  ASSIGN_OR_RETURN(auto store, StorageFor(location, caller));
  const bool prefix = IsStreamedCheckpoint(store.get(), location);
  uint64_t size = 0;
  if (!prefix) {
    auto info = store->Stat(location);
    if (!info.ok()) {
      if (info.status().code() == StatusCode::kNotFound)
        return Status::NotFound("no checkpoint at " + location);
      return info.status();
    }
    size = info->size;
  }
  auto c = Describe(store.get(), location, prefix, size);
  if (!c.ok()) return c.status().WithContext(location);
  if (!IsOwnedBy(c->header, caller))
    return Status::PermissionDenied("checkpoint " + location + " belongs to another user");
  return c;
}

Status Checkpointer::Delete(const std::string& location, const Caller& caller) {
  // Only ever delete what is recognisably a stasis checkpoint, and for a
  // non-root caller only one this host signed for them: an unsigned
  // manifest could claim anyone.
  ASSIGN_OR_RETURN(auto summary, Inspect(location, caller));
  if (!caller.is_root() && summary.verdict != Authenticity::kSigned)
    return Status::PermissionDenied("checkpoint " + location +
                                    " is not signed by a key this host "
                                    "trusts (" +
                                    summary.authenticity + "); only root may delete it");
  ASSIGN_OR_RETURN(auto store, StorageFor(location, caller));
  if (summary.record.kind == "stream") {
    RETURN_IF_ERROR(DeleteStreamed(store.get(), location));
  } else {
    RETURN_IF_ERROR(store->Remove(location));
  }
  Status st = registry_->RemoveCheckpoint(location);
  if (!st.ok()) STASIS_LOG(Warn) << "checkpoint removed but its record stays: " << st.message();
  return Status::OK();
}

Result<std::string> Checkpointer::LatestLocationFor(const std::string& jid,
                                                    const RestoreSettings& s) {
  // Newest among those this restore would accept: a forged or unsigned
  // checkpoint with a later date must not win.
  Status first_refusal;
  auto acceptable = [&](const CheckpointSummary& c) {
    Status admitted = trust_.Admit(s.caller, c.verdict, c.header, c.encrypted, s.trust_unsigned,
                                   c.record.location, nullptr);
    if (admitted.ok()) return true;
    STASIS_LOG(Info) << "restore of job " << jid << " passes over " << c.record.location << ": "
                     << admitted.message();
    if (first_refusal.ok()) first_refusal = admitted;
    return false;
  };
  if (s.dir.empty()) {
    ASSIGN_OR_RETURN(auto job, registry_->GetJob(jid));
    if (!job.has_value())
      return Status::NotFound("no job with id '" + jid +
                              "'; pass --path ARCHIVE or --dir DIR to restore it from storage");
    ASSIGN_OR_RETURN(auto records, registry_->ListCheckpoints(jid));
    if (records.empty())
      return Status::NotFound("job '" + jid +
                              "' has no checkpoint here; pass --path or --dir where it is");
    // The registry says where; the checkpoint itself says whether it is
    // still what was written there.
    // A checkpoint deleted since is passed over; one that cannot be read
    // (storage down, no rights) stops the search: an older one would only
    // hide the problem.
    for (const auto& r : records) {
      ASSIGN_OR_RETURN(auto store, StorageFor(r.location, s.caller));
      bool prefix = IsStreamedCheckpoint(store.get(), r.location);
      auto c = Describe(store.get(), r.location, prefix, r.size);
      if (!c.ok() && c.status().code() == StatusCode::kNotFound) continue;
      if (!c.ok()) return c.status().WithContext("cannot read " + r.location);
      if (c->header.job_id == jid && acceptable(*c)) return r.location;
    }
  } else {
    ASSIGN_OR_RETURN(auto found, ListDir(s.dir, s.caller));
    bool any = false;
    for (const auto& c : found) {
      if (c.header.job_id != jid) continue;
      any = true;
      if (acceptable(c)) return c.record.location;
    }
    if (!any) return Status::NotFound("no checkpoint of job '" + jid + "' in " + s.dir);
  }
  if (first_refusal.ok())
    return Status::NotFound("job '" + jid + "' has no readable checkpoint; pass --path");
  return first_refusal.WithContext("no checkpoint of job '" + jid + "' can be restored");
}

}  // namespace stasis::daemon
