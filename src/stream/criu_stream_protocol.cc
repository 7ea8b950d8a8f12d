#include "stream/criu_stream_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace stasis::stream {

namespace {

// Messages are a few hundred bytes at most (a file name); anything larger
// is not CRIU talking.
constexpr uint32_t kMaxMessage = 64 * 1024;

Status ErrnoStatus(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// Reads exactly n bytes; NotFound if the stream ends before the first one.
Status ReadFull(int fd, char* buf, size_t n, bool eof_ok) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus("reading from CRIU's image stream");
    if (r == 0) {
      if (got == 0 && eof_ok) return Status::NotFound("the image stream ended");
      return Status::Corruption("CRIU's image stream ended inside a message");
    }
    got += static_cast<size_t>(r);
  }
  return Status::OK();
}

Status WriteFull(int fd, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, buf, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoStatus("writing to CRIU's image stream");
    buf += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(const std::string& in, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < in.size(); shift += 7) {
    auto byte = static_cast<uint8_t>(in[(*pos)++]);
    *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

std::string EncodeRequest(const std::string& filename) {
  std::string out;
  out.push_back(0x0a);  // field 1, length-delimited
  PutVarint(&out, filename.size());
  out += filename;
  return out;
}

Result<std::string> DecodeRequest(const std::string& message) {
  size_t pos = 0;
  std::string filename;
  bool seen = false;
  while (pos < message.size()) {
    uint64_t tag = 0, len = 0;
    if (!GetVarint(message, &pos, &tag)) break;
    if ((tag & 7) == 2) {
      if (!GetVarint(message, &pos, &len) || len > message.size() - pos) break;
      if (tag >> 3 == 1) {
        filename = message.substr(pos, len);
        seen = true;
      }
      pos += len;
    } else if ((tag & 7) == 0) {
      uint64_t ignored = 0;
      if (!GetVarint(message, &pos, &ignored)) break;
    } else {
      break;
    }
  }
  if (!seen || pos != message.size())
    return Status::Corruption("CRIU sent an image request stasis cannot read");
  return filename;
}

std::string EncodeReply(bool exists) {
  std::string out;
  out.push_back(0x08);  // field 1, varint
  out.push_back(exists ? 1 : 0);
  return out;
}

Result<bool> DecodeReply(const std::string& message) {
  size_t pos = 0;
  uint64_t tag = 0, value = 0;
  if (!GetVarint(message, &pos, &tag) || tag != 0x08 || !GetVarint(message, &pos, &value) ||
      pos != message.size())
    return Status::Corruption("not an image streamer reply");
  return value != 0;
}

Result<std::string> ReadMessage(int sock) {
  char len_bytes[4];
  RETURN_IF_ERROR(ReadFull(sock, len_bytes, sizeof len_bytes, /*eof_ok=*/true));
  uint32_t len = static_cast<uint8_t>(len_bytes[0]) | static_cast<uint8_t>(len_bytes[1]) << 8 |
                 static_cast<uint8_t>(len_bytes[2]) << 16 |
                 static_cast<uint32_t>(static_cast<uint8_t>(len_bytes[3])) << 24;
  if (len > kMaxMessage)
    return Status::Corruption("CRIU's image stream announced a " + std::to_string(len) +
                              "-byte message");
  std::string message(len, '\0');
  RETURN_IF_ERROR(ReadFull(sock, message.data(), len, /*eof_ok=*/false));
  return message;
}

Status WriteMessage(int sock, const std::string& message) {
  auto len = static_cast<uint32_t>(message.size());
  char framed[4] = {static_cast<char>(len & 0xff), static_cast<char>((len >> 8) & 0xff),
                    static_cast<char>((len >> 16) & 0xff), static_cast<char>(len >> 24)};
  RETURN_IF_ERROR(WriteFull(sock, framed, sizeof framed));
  return WriteFull(sock, message.data(), message.size());
}

Result<int> ReceiveFd(int sock) {
  char dummy = 0;
  iovec iov{&dummy, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r;
  do {
    r = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoStatus("receiving a pipe from CRIU");
  if (r == 0) return Status::Corruption("CRIU closed the image stream before sending a pipe");
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int)) || (msg.msg_flags & MSG_CTRUNC) != 0)
    return Status::Corruption("CRIU's image stream carried no pipe where one was due");
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

Status SendFd(int sock, int fd) {
  char dummy = 0;
  iovec iov{&dummy, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t r;
  do {
    r = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoStatus("sending a pipe");
  return Status::OK();
}

}  // namespace stasis::stream
