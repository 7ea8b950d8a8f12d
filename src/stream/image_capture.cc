#include "stream/image_capture.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "stream/criu_stream_protocol.h"

namespace stasis::stream {

namespace {

Status ErrnoStatus(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// Pipes as large as the system allows (fs.pipe-max-size, 4 MiB after
// scripts/setup.sh): fewer wake-ups per gigabyte on both sides.
void GrowPipe(int fd) {
  for (int size = 4 << 20; size >= (64 << 10); size /= 2) {
    if (::fcntl(fd, F_SETPIPE_SZ, size) >= 0) return;
  }
}

// The first failure among several threads.
class FirstError {
 public:
  void Set(const Status& st) {
    std::lock_guard lock(mu_);
    if (status_.ok()) status_ = st;
  }
  Status Get() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  Status status_;
};

Status DrainPipe(UniqueFd pipe, ImageFileSink* file, const std::string& name) {
  GrowPipe(pipe.get());
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(pipe.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("reading image " + name + " from CRIU");
    if (n == 0) break;
    RETURN_IF_ERROR(file->Append(buf.data(), static_cast<size_t>(n)));
  }
  return file->Close();
}

}  // namespace

Result<UniqueFd> ListenAt(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return Status::InvalidArgument("the images directory path is too long for a socket: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus("cannot create the streamer socket");
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return ErrnoStatus("cannot bind " + path);
  ::chmod(path.c_str(), 0600);
  if (::listen(fd.get(), 1) != 0) return ErrnoStatus("cannot listen on " + path);
  return fd;
}

Result<UniqueFd> AcceptCriu(int listener, int cancel_fd, const std::string& what) {
  pollfd fds[2] = {{listener, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
  for (;;) {
    int r = ::poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("waiting for CRIU to " + what);
    if (fds[1].revents != 0)
      return Status::Unavailable("CRIU stopped before it connected to " + what);
    if (fds[0].revents != 0) break;
  }
  UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn.valid()) return ErrnoStatus("cannot accept CRIU's connection to " + what);
  return conn;
}

Result<std::unique_ptr<ImageCapture>> ImageCapture::Listen(const std::string& images_dir) {
  ASSIGN_OR_RETURN(UniqueFd listener, ListenAt(images_dir, kCaptureSocketName));
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus("cannot create a pipe");
  return std::unique_ptr<ImageCapture>(
      new ImageCapture(std::move(listener), UniqueFd(p[0]), UniqueFd(p[1])));
}

ImageCapture::~ImageCapture() = default;

void ImageCapture::Cancel() {
  char c = 1;
  [[maybe_unused]] ssize_t ignored = ::write(cancel_write_.get(), &c, 1);
}

Status ImageCapture::Serve(ImageSink* sink) {
  ASSIGN_OR_RETURN(UniqueFd conn,
                   AcceptCriu(listener_.get(), cancel_read_.get(), "the image capture socket"));
  FirstError error;
  std::vector<std::thread> drains;
  for (;;) {
    auto message = ReadMessage(conn.get());
    if (!message.ok()) {
      if (message.status().code() != StatusCode::kNotFound) error.Set(message.status());
      break;  // NotFound: CRIU closed the socket, every file has been opened
    }
    auto name = DecodeRequest(*message);
    if (!name.ok()) {
      error.Set(name.status());
      break;
    }
    auto fd = ReceiveFd(conn.get());
    if (!fd.ok()) {
      error.Set(fd.status());
      break;
    }
    UniqueFd pipe(*fd);
    auto file = sink->Create(*name);
    if (!file.ok()) {
      // Closing the pipe makes CRIU's write fail: the dump stops there.
      error.Set(file.status());
      break;
    }
    drains.emplace_back(
        [&error, name = *name, pipe = std::move(pipe), file = std::move(*file)]() mutable {
          Status st = DrainPipe(std::move(pipe), file.get(), name);
          if (!st.ok()) error.Set(st);
        });
  }
  conn.Reset();
  for (auto& t : drains) t.join();
  return error.Get();
}

}  // namespace stasis::stream
