#include "stream/image_server.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "stream/criu_stream_protocol.h"
#include "stream/image_capture.h"

namespace stasis::stream {

namespace {

Status FeedPipe(UniqueFd pipe, storage::Reader* reader, const std::string& name) {
  // CRIU may close an image before reading all of it. A write then fails
  // with EPIPE, and the SIGPIPE that comes with it must not kill the daemon:
  // it is blocked in this thread, and its pending copy dies with the thread.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  for (int size = 4 << 20; size >= (64 << 10); size /= 2) {
    if (::fcntl(pipe.get(), F_SETPIPE_SZ, size) >= 0) break;
  }
  std::vector<char> buf(1 << 20);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) return Status::OK();
    const char* p = buf.data();
    while (n > 0) {
      ssize_t w = ::write(pipe.get(), p, n);
      if (w < 0 && errno == EINTR) continue;
      // CRIU did not want the rest; if it needed it, CRIU itself fails.
      if (w < 0 && errno == EPIPE) return Status::OK();
      if (w < 0)
        return Status::IOError("cannot hand image " + name + " to CRIU: " + std::strerror(errno));
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
}

}  // namespace

Result<std::unique_ptr<ImageServer>> ImageServer::Listen(const std::string& images_dir) {
  ASSIGN_OR_RETURN(UniqueFd listener, ListenAt(images_dir, kServeSocketName));
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    return Status::IOError(std::string("cannot create a pipe: ") + std::strerror(errno));
  return std::unique_ptr<ImageServer>(
      new ImageServer(std::move(listener), UniqueFd(p[0]), UniqueFd(p[1])));
}

ImageServer::~ImageServer() = default;

void ImageServer::Cancel() {
  char c = 1;
  [[maybe_unused]] ssize_t ignored = ::write(cancel_write_.get(), &c, 1);
}

Status ImageServer::Serve(ImageSource* source) {
  ASSIGN_OR_RETURN(UniqueFd conn,
                   AcceptCriu(listener_.get(), cancel_read_.get(), "the image serve socket"));
  std::mutex mu;
  Status first_error;
  auto fail = [&](const Status& st) {
    std::lock_guard lock(mu);
    if (first_error.ok()) first_error = st;
  };
  std::vector<std::thread> feeders;
  for (;;) {
    auto message = ReadMessage(conn.get());
    if (!message.ok()) {
      if (message.status().code() != StatusCode::kNotFound) fail(message.status());
      break;
    }
    auto name = DecodeRequest(*message);
    if (!name.ok()) {
      fail(name.status());
      break;
    }
    auto reader = source->Open(*name);
    if (!reader.ok() && reader.status().code() != StatusCode::kNotFound) {
      // A damaged checkpoint: stop here, CRIU fails on the closed socket.
      fail(reader.status());
      break;
    }
    Status replied = WriteMessage(conn.get(), EncodeReply(reader.ok()));
    if (!replied.ok()) {
      fail(replied);
      break;
    }
    if (!reader.ok()) continue;
    auto fd = ReceiveFd(conn.get());
    if (!fd.ok()) {
      fail(fd.status());
      break;
    }
    feeders.emplace_back(
        [&fail, name = *name, pipe = UniqueFd(*fd), reader = std::move(*reader)]() mutable {
          Status st = FeedPipe(std::move(pipe), reader.get(), name);
          if (!st.ok()) fail(st);
        });
  }
  conn.Reset();
  for (auto& t : feeders) t.join();
  std::lock_guard lock(mu);
  return first_error;
}

}  // namespace stasis::stream
