#include "plugins/s3/s3_storage.h"

#include <algorithm>

#include "plugins/s3/endpoint.h"
#include "plugins/s3/s3_reader.h"
#include "plugins/s3/s3_writer.h"
#include "storage/location.h"

namespace stasis::s3 {

namespace {

std::string LastComponent(const std::string& key) {
  std::string k = key;
  while (!k.empty() && k.back() == '/') k.pop_back();
  size_t slash = k.rfind('/');
  return slash == std::string::npos ? k : k.substr(slash + 1);
}

}  // namespace

Result<std::unique_ptr<S3Storage>> S3Storage::Open(const S3Options& options, const Env& env) {
  ASSIGN_OR_RETURN(ResolvedAccess access, ResolveAccess(options, env));
  std::unique_ptr<S3Storage> storage(new S3Storage(options, std::move(access)));
  std::string state_file =
      options.state_dir.empty() ? "" : options.state_dir + "/s3-pending-aborts.json";
  storage->part_budget_ = std::make_shared<PartBudget>(options.concurrency + 1);
  storage->janitor_ = std::make_unique<AbortJanitor>(
      state_file,
      [raw = storage.get()](const std::string& bucket) -> Result<std::shared_ptr<S3Client>> {
        ASSIGN_OR_RETURN(auto target, raw->ClientFor("s3://" + bucket));
        return target.first;
      });
  return storage;
}

Result<std::pair<std::shared_ptr<S3Client>, std::string>> S3Storage::ClientFor(
    const std::string& location) {
  ASSIGN_OR_RETURN(storage::Location loc, storage::ParseLocation(location));
  if (loc.scheme != "s3") return Status::InvalidArgument(location + " is not an s3:// location");
  std::lock_guard lock(mu_);
  auto it = clients_.find(loc.bucket);
  if (it == clients_.end()) {
    ASSIGN_OR_RETURN(BucketEndpoint endpoint,
                     ResolveBucketEndpoint(options_, access_.region, loc.bucket));
    auto client = std::make_shared<S3Client>(options_, access_.credentials, access_.region,
                                             loc.bucket, endpoint);
    it = clients_.emplace(loc.bucket, std::move(client)).first;
  }
  return std::make_pair(it->second, loc.path);
}

Result<std::unique_ptr<storage::Writer>> S3Storage::NewWriter(const std::string& location) {
  ASSIGN_OR_RETURN(auto target, ClientFor(location));
  if (target.second.empty())
    return Status::InvalidArgument(location + " names a bucket, not an object");
  if (target.first->HeadObject(target.second).ok())
    return Status::AlreadyExists(location + " already exists");
  return std::unique_ptr<storage::Writer>(new S3Writer(target.first, target.second,
                                                       options_.part_size, options_.concurrency,
                                                       janitor_.get(), part_budget_));
}

Result<std::unique_ptr<storage::Reader>> S3Storage::NewReader(const std::string& location) {
  ASSIGN_OR_RETURN(auto target, ClientFor(location));
  auto head = target.first->HeadObject(target.second);
  if (!head.ok()) {
    if (head.status().code() == StatusCode::kNotFound &&
        head.status().message().find("bucket") == std::string::npos)
      return Status::NotFound("checkpoint " + location + " does not exist");
    return head.status();
  }
  return std::unique_ptr<storage::Reader>(new S3Reader(target.first, target.second, head->size,
                                                       options_.part_size, options_.concurrency));
}

Status S3Storage::ReadRange(const std::string& location, uint64_t offset, size_t size,
                            std::string* out) {
  ASSIGN_OR_RETURN(auto target, ClientFor(location));
  if (size == 0) {
    out->clear();
    return Status::OK();
  }
  Status st = target.first->GetRangeInto(target.second, offset, size, out);
  if (st.code() == StatusCode::kNotFound && st.message().find("bucket") == std::string::npos)
    return Status::NotFound(location + " does not exist");
  // A range past the end is answered 416 or short: the object is not what
  // the index said.
  if (st.code() == StatusCode::kInvalidArgument || st.code() == StatusCode::kUnavailable) {
    if (st.message().find("InvalidRange") != std::string::npos ||
        st.message().find("bytes instead of") != std::string::npos)
      return Status::Corruption(location + " is shorter than its index says (" + st.message() +
                                ")");
  }
  return st;
}

Result<std::vector<storage::ObjectInfo>> S3Storage::List(const std::string& dir) {
  ASSIGN_OR_RETURN(auto target, ClientFor(dir));
  std::string prefix = target.second.empty() ? "" : target.second + "/";
  ASSIGN_OR_RETURN(ListResult listed, target.first->List(prefix, /*shallow=*/true));
  std::vector<storage::ObjectInfo> out;
  for (const auto& p : listed.prefixes) {
    storage::ObjectInfo info;
    info.name = LastComponent(p);
    info.location = storage::JoinLocation(dir, info.name);
    info.is_dir = true;
    out.push_back(std::move(info));
  }
  for (const auto& o : listed.objects) {
    storage::ObjectInfo info;
    info.name = LastComponent(o.key);
    if (info.name.empty()) continue;
    info.location = storage::JoinLocation(dir, info.name);
    info.size = o.size;
    info.mtime = o.mtime;
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<storage::ObjectInfo> S3Storage::Stat(const std::string& location) {
  ASSIGN_OR_RETURN(auto target, ClientFor(location));
  ASSIGN_OR_RETURN(ObjectHead head, target.first->HeadObject(target.second));
  storage::ObjectInfo info;
  info.location = location;
  info.name = LastComponent(target.second);
  info.size = head.size;
  info.mtime = head.mtime;
  return info;
}

Status S3Storage::Remove(const std::string& location) {
  ASSIGN_OR_RETURN(auto target, ClientFor(location));
  // S3 deletes of missing keys succeed; the storage contract says NotFound.
  RETURN_IF_ERROR(target.first->HeadObject(target.second).status());
  return target.first->DeleteObject(target.second);
}

Status S3Storage::RemoveIncomplete(const std::string& location) {
  ASSIGN_OR_RETURN(auto target, ClientFor(location));
  const std::string& key = target.second;
  ASSIGN_OR_RETURN(auto open, target.first->ListMultipartUploads(key));
  Status first;
  for (const OpenUpload& u : open) {
    // The object itself, or anything under it as a prefix; not "key2".
    if (u.key != key && !(u.key.size() > key.size() && u.key.starts_with(key) &&
                          (key.ends_with('/') || u.key[key.size()] == '/')))
      continue;
    Status st = target.first->AbortMultipartUpload(u.key, u.upload_id);
    if (!st.ok() && st.code() != StatusCode::kNotFound && first.ok()) first = st;
  }
  return first;
}

Status S3Storage::CheckEndpoint() {
  ASSIGN_OR_RETURN(BucketEndpoint endpoint, ResolveServiceEndpoint(options_, access_.region));
  S3Client client(options_, access_.credentials, access_.region, "", endpoint);
  Status st = client.ListBuckets();
  if (st.code() == StatusCode::kPermissionDenied &&
      st.message().find("(AccessDenied)") != std::string::npos)
    return Status::OK();
  return st;
}

std::string S3Storage::endpoint_description() const {
  auto e = ResolveServiceEndpoint(options_, access_.region);
  return e.ok() ? e->base_url : options_.endpoint;
}

Status S3Storage::CheckWritable(const std::string& dir) {
  ASSIGN_OR_RETURN(auto target, ClientFor(dir));
  return target.first->CheckBucket();
}

}  // namespace stasis::s3
