// The restore side of CRIU's image streamer: serves streamer-serve.sock in
// the images directory, answers whether each image CRIU asks for exists,
// and writes the ones that do into the pipes CRIU hands over. CRIU may read
// several images at once, so each file is written by its own thread.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"
#include "storage/storage.h"

namespace stasis::stream {

// Where images come from. Open() returns NotFound for an image that is not
// part of the checkpoint (CRIU asks for optional ones); it is called from
// the serving thread, the readers are used from per-file threads.
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual Result<std::unique_ptr<storage::Reader>> Open(const std::string& name) = 0;
};

class ImageServer {
 public:
  static Result<std::unique_ptr<ImageServer>> Listen(const std::string& images_dir);
  ~ImageServer();

  // Serves one CRIU restore until CRIU closes its socket and every file has
  // been written. A source error closes that file's pipe early, so CRIU
  // fails instead of restoring from a damaged image.
  Status Serve(ImageSource* source);
  void Cancel();

 private:
  ImageServer(UniqueFd listener, UniqueFd cancel_read, UniqueFd cancel_write)
      : listener_(std::move(listener)),
        cancel_read_(std::move(cancel_read)),
        cancel_write_(std::move(cancel_write)) {}
  UniqueFd listener_;
  UniqueFd cancel_read_, cancel_write_;
};

}  // namespace stasis::stream
