// The dump side of CRIU's image streamer: serves streamer-capture.sock in
// the images directory and hands each image file's bytes to a sink as CRIU
// writes them into its pipe. Files may be written concurrently (CRIU keeps
// several images open), so each pipe is drained by its own thread.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace stasis::stream {

// One image file being received. Append() gets the bytes in order; Close()
// is called once at the end of the file (not after an error).
class ImageFileSink {
 public:
  virtual ~ImageFileSink() = default;
  virtual Status Append(const char* data, size_t size) = 0;
  virtual Status Close() = 0;
};

// Where captured images go. Create() is called from the serving thread.
class ImageSink {
 public:
  virtual ~ImageSink() = default;
  virtual Result<std::unique_ptr<ImageFileSink>> Create(const std::string& name) = 0;
};

class ImageCapture {
 public:
  // Binds and listens before CRIU starts, so CRIU finds the socket.
  static Result<std::unique_ptr<ImageCapture>> Listen(const std::string& images_dir);
  ~ImageCapture();

  // Serves one CRIU session: returns when CRIU has closed its socket and
  // every file is complete, or at the first error (the pipes are then
  // closed, so CRIU fails too rather than waiting).
  Status Serve(ImageSink* sink);
  // Makes a Serve() that is still waiting for CRIU to connect return
  // (CRIU failed before it connected). Safe from any thread.
  void Cancel();

 private:
  ImageCapture(UniqueFd listener, UniqueFd cancel_read, UniqueFd cancel_write)
      : listener_(std::move(listener)),
        cancel_read_(std::move(cancel_read)),
        cancel_write_(std::move(cancel_write)) {}
  UniqueFd listener_;
  UniqueFd cancel_read_, cancel_write_;
};

// Accepts one connection on `listener`, or fails when `cancel_fd` becomes
// readable first. Shared by both directions.
Result<UniqueFd> AcceptCriu(int listener, int cancel_fd, const std::string& what);
// A bound, listening UNIX socket at dir/name (0600).
Result<UniqueFd> ListenAt(const std::string& dir, const std::string& name);

}  // namespace stasis::stream
