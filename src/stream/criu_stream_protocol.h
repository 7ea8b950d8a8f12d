// CRIU's image-streamer protocol (criu --stream, CRIU >= 3.15), the wire
// facts only: CRIU connects to a UNIX stream socket in the images
// directory ("streamer-capture.sock" to dump, "streamer-serve.sock" to
// restore). For each image file it sends a request: a little-endian u32
// length, then a protobuf img_streamer_request_entry {1: string filename}.
// On restore the streamer answers img_streamer_reply_entry {1: bool exists},
// framed the same way. For a file that is to move, CRIU then sends one end
// of a pipe with SCM_RIGHTS (with one dummy data byte): the read end on dump
// (CRIU writes the image into the pipe), the write end on restore (the
// streamer writes it). Closing the pipe ends the file; closing the socket
// ends the session.
#pragma once

#include <string>

#include "common/result.h"

namespace stasis::stream {

inline constexpr char kCaptureSocketName[] = "streamer-capture.sock";
inline constexpr char kServeSocketName[] = "streamer-serve.sock";

// The protobuf messages, encoded and decoded by hand: each has one field.
std::string EncodeRequest(const std::string& filename);
Result<std::string> DecodeRequest(const std::string& message);
std::string EncodeReply(bool exists);
Result<bool> DecodeReply(const std::string& message);

// Reads one length-prefixed message. NotFound at a clean end of stream
// (the peer closed between messages).
Result<std::string> ReadMessage(int sock);
Status WriteMessage(int sock, const std::string& message);

// Receives the pipe end CRIU passes after a request.
Result<int> ReceiveFd(int sock);
// The same from the other side (what CRIU does); for tests.
Status SendFd(int sock, int fd);

}  // namespace stasis::stream
