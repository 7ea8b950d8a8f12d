// Multipart uploads that could not be aborted when their transfer failed
// (the server was gone) are not forgotten: the janitor keeps trying to abort
// them in the background, with growing pauses, until S3 confirms. The list
// is kept in a file in the daemon's state directory, so a restart resumes
// it. Without this, a dump that failed during an outage would leave parts
// behind that S3 stores (and bills) until a lifecycle rule removes them.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "plugins/s3/s3_client.h"

namespace stasis::s3 {

struct PendingAbort {
  std::string bucket, key, upload_id;
};

class AbortJanitor {
 public:
  using ClientFor = std::function<Result<std::shared_ptr<S3Client>>(const std::string& bucket)>;
  // `state_file` "" keeps the list in memory only.
  AbortJanitor(std::string state_file, ClientFor client_for);
  ~AbortJanitor();

  void Add(PendingAbort pending);
  size_t PendingCount();

 private:
  void Run();
  void Save();  // REQUIRES: mu_ held

  const std::string state_file_;
  const ClientFor client_for_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PendingAbort> pending_;  // guarded by mu_
  bool stopping_ = false;              // guarded by mu_
  std::thread thread_;
};

}  // namespace stasis::s3
