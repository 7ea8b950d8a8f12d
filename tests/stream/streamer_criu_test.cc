// The image streamer against the real CRIU: `criu dump --stream` hands every
// image to our capture socket (here into memory), and `criu restore
// --stream` takes them back from our serve socket; the restored counter goes
// on from where it was. Plus the wire format and the failure paths.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "../archive/memory_storage.h"
#include "../common/session_process.h"
#include "criu/engine.h"
#include "stream/criu_stream_protocol.h"
#include "stream/image_capture.h"
#include "stream/image_server.h"

namespace stasis::stream {
namespace {

namespace fs = std::filesystem;
using testing::ReadCount;
using testing::WaitFor;

// Images kept in memory, by name.
class MemoryImages : public ImageSink, public ImageSource {
 public:
  class File : public ImageFileSink {
   public:
    File(MemoryImages* owner, std::string name) : owner_(owner), name_(std::move(name)) {}
    Status Append(const char* data, size_t size) override {
      data_.append(data, size);
      return Status::OK();
    }
    Status Close() override {
      std::lock_guard lock(owner_->mu_);
      owner_->files_[name_] = std::move(data_);
      return Status::OK();
    }

   private:
    MemoryImages* owner_;
    std::string name_, data_;
  };
  Result<std::unique_ptr<ImageFileSink>> Create(const std::string& name) override {
    if (!fail_prefix_.empty() && name.rfind(fail_prefix_, 0) == 0)
      return Status::IOError("no room for " + name);
    return std::unique_ptr<ImageFileSink>(new File(this, name));
  }
  Result<std::unique_ptr<storage::Reader>> Open(const std::string& name) override {
    std::lock_guard lock(mu_);
    ++requests_;
    auto it = files_.find(name);
    if (it == files_.end()) return Status::NotFound(name);
    return std::unique_ptr<storage::Reader>(new archive::StringReader(it->second));
  }
  std::map<std::string, std::string> files() {
    std::lock_guard lock(mu_);
    return files_;
  }
  std::string fail_prefix_;
  int requests_ = 0;

 private:
  std::mutex mu_;
  std::map<std::string, std::string> files_;
};

TEST(StreamProtocolTest, MessagesRoundTripAndFrameAsCriuDoes) {
  EXPECT_EQ(EncodeRequest("pages-1.img"), std::string("\x0a\x0bpages-1.img", 13));
  EXPECT_EQ(*DecodeRequest(EncodeRequest("inventory.img")), "inventory.img");
  EXPECT_EQ(EncodeReply(true), std::string("\x08\x01", 2));
  EXPECT_EQ(*DecodeReply(EncodeReply(false)), false);
  EXPECT_FALSE(DecodeRequest("\x08\x01").ok());
  EXPECT_FALSE(DecodeRequest("\x0a\x7f"
                             "abc")
                   .ok())
      << "length past the end";

  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_TRUE(WriteMessage(sv[0], EncodeRequest("core-42.img")).ok());
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_TRUE(SendFd(sv[0], p[0]).ok());
  ASSERT_TRUE(WriteMessage(sv[0], EncodeRequest("next.img")).ok());
  char len[4];
  ASSERT_EQ(::recv(sv[1], len, 4, MSG_PEEK), 4);
  EXPECT_EQ(std::string(len, 4), std::string("\x0d\x00\x00\x00", 4)) << "u32 little-endian";
  EXPECT_EQ(*DecodeRequest(*ReadMessage(sv[1])), "core-42.img");
  auto fd = ReceiveFd(sv[1]);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  ASSERT_EQ(::write(p[1], "x", 1), 1);
  char c = 0;
  EXPECT_EQ(::read(*fd, &c, 1), 1);
  EXPECT_EQ(c, 'x');
  EXPECT_EQ(*DecodeRequest(*ReadMessage(sv[1])), "next.img") << "the fd's dummy byte was eaten";
  ::close(sv[0]);
  EXPECT_EQ(ReadMessage(sv[1]).status().code(), StatusCode::kNotFound);
  for (int f : {sv[1], p[0], p[1], *fd}) ::close(f);
}

class StreamerCriuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = criu::OpenEngine("");
    if (!engine.ok()) GTEST_SKIP() << engine.status().ToString();
    engine_ = std::move(engine).value();
    char tmpl[] = "/tmp/stasis-stream-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (int p : kill_) ::kill(-p, SIGKILL);
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }
  int StartCounter(const std::string& counter) {
    int child = testing::SpawnCounter(counter);
    kill_.push_back(child);
    return child;
  }
  // Runs a streamed dump of `pid` into `images` through `sink`.
  Status StreamedDump(int pid, const std::string& dir, ImageSink* sink) {
    auto capture = ImageCapture::Listen(dir);
    if (!capture.ok()) return capture.status();
    Status served;
    std::thread server([&] { served = (*capture)->Serve(sink); });
    criu::DumpOptions d;
    d.pid = pid;
    d.images_dir = dir;
    d.stream = true;
    Status dumped = engine_->Dump(d);
    if (!dumped.ok()) (*capture)->Cancel();
    server.join();
    return dumped.ok() ? served : dumped;
  }
  std::unique_ptr<criu::Engine> engine_;
  std::string dir_;
  std::vector<int> kill_;
};

TEST_F(StreamerCriuTest, DumpAndRestoreThroughTheStreamer) {
  std::string counter = dir_ + "/count";
  int child = StartCounter(counter);
  ASSERT_TRUE(WaitFor([&] { return ReadCount(counter) >= 5; }));

  MemoryImages images;
  std::string dump_dir = dir_ + "/dump";
  fs::create_directories(dump_dir);
  Status st = StreamedDump(child, dump_dir, &images);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto files = images.files();
  EXPECT_TRUE(files.count("inventory.img")) << "CRIU always writes its inventory";
  bool has_pages = false;
  for (const auto& [name, data] : files) has_pages |= name.rfind("pages-", 0) == 0 && !data.empty();
  EXPECT_TRUE(has_pages) << "the memory pages came through the stream";
  for (const auto& e : fs::directory_iterator(dump_dir))
    EXPECT_NE(e.path().extension(), ".img")
        << "an image was written to disk instead of the stream: " << e.path();
  long at_dump = ReadCount(counter);
  ::kill(-child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(WaitFor([&] { return ::kill(-child, 0) != 0; }));

  std::string restore_dir = dir_ + "/restore";
  fs::create_directories(restore_dir);
  auto server = ImageServer::Listen(restore_dir);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  Status served;
  std::thread serving([&] { served = (*server)->Serve(&images); });
  criu::RestoreOptions r;
  r.images_dir = restore_dir;
  r.stream = true;
  auto pid = engine_->Restore(r);
  if (!pid.ok()) (*server)->Cancel();
  serving.join();
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  kill_.push_back(*pid);
  EXPECT_TRUE(served.ok()) << served.ToString();
  EXPECT_GT(images.requests_, 3);
  EXPECT_TRUE(WaitFor([&] { return ReadCount(counter) >= at_dump + 5; }))
      << "the restored counter does not count on";
}

// A sink that fails makes the dump fail, whichever image it fails on, and
// the tree is left intact: running, or (when CRIU had already stopped it
// for --leave-stopped, as for its last image, the inventory) stopped and
// resumable, which is what the checkpointer's SIGCONT relies on.
class StreamerSinkFailureTest : public StreamerCriuTest,
                                public ::testing::WithParamInterface<const char*> {};

INSTANTIATE_TEST_SUITE_P(FailingImage, StreamerSinkFailureTest,
                         ::testing::Values("pagemap-", "pages-", "inventory.img"));

TEST_P(StreamerSinkFailureTest, FailsTheDumpAndLeavesTheTreeResumable) {
  std::string counter = dir_ + "/count";
  int child = StartCounter(counter);
  ASSERT_TRUE(WaitFor([&] { return ReadCount(counter) >= 3; }));
  MemoryImages images;
  images.fail_prefix_ = GetParam();
  std::string dump_dir = dir_ + "/dump";
  fs::create_directories(dump_dir);
  Status st = StreamedDump(child, dump_dir, &images);
  EXPECT_FALSE(st.ok()) << "the dump must fail when " << GetParam() << "* cannot be stored";
  ::kill(-child, SIGCONT);
  long before = ReadCount(counter);
  EXPECT_TRUE(WaitFor([&] { return ReadCount(counter) >= before + 3; }))
      << "the tree must survive a failed streamed dump";
}

}  // namespace
}  // namespace stasis::stream
