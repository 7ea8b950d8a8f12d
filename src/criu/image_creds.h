// The credentials a checkpoint's CRIU images claim for its tasks, read
// before CRIU runs. stasisd runs CRIU restore as root, and CRIU sets every
// restored thread's uids, gids, groups and capabilities to what its core
// image says; so the daemon must refuse images claiming credentials the
// requesting user does not hold, or any user could restore a root shell.
//
// Format (CRIU 4.x, images version 1.1; see criu/include/magic.h and
// criu/protobuf.c): a core-<tid>.img per thread is the u32 pair
// IMG_COMMON_MAGIC, CORE_MAGIC, then one entry: a u32 little-endian length
// and a protobuf CoreEntry, whose thread_core.creds is a CredsEntry.
// Compatibility: CRIU before 2.0 kept creds in a separate creds-<pid>.img,
// which CRIU 4.x still reads when a leader's thread core has no creds; this
// reader refuses such core images instead, so that path is never taken. It
// also refuses pre-1.1 images (no common magic), which CRIU stopped writing
// in 1.x.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace stasis::criu {

struct TaskCreds {
  std::string image;  // the core image's file name, e.g. "core-42.img"
  uint32_t uid = 0, euid = 0, suid = 0, fsuid = 0;
  uint32_t gid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<uint32_t> groups;  // supplementary groups
  // Capability sets, bit N = capability N (CRIU's two u32 words combined,
  // the low word first).
  uint64_t cap_prm = 0, cap_eff = 0, cap_inh = 0, cap_amb = 0;
};

// Parses the bytes of one CRIU core-<tid>.img and returns the credentials
// of its thread. `image_name` names the image in messages and in the result.
// The bytes are untrusted: anything CRIU 4.x would not have written, or that
// could make this reader and CRIU's protobuf-c disagree on a field, is a
// Corruption with one sentence naming the image, as is a core entry with no
// creds. Never reads outside `bytes`.
Result<TaskCreds> CredsFromCoreImage(std::string_view bytes, const std::string& image_name);

// The credentials of every core-*.img in `images_dir` (one per thread of
// every task), sorted by file name. NotFound or IOError when the directory
// cannot be read; Corruption when it holds no core image, or when one is not
// a regular file (symlinks are not followed), is over 64 MiB, or does not
// parse.
// REQUIRES: nobody but the caller can write `images_dir` until CRIU has
// restored from it; otherwise the checked images are not the restored ones.
Result<std::vector<TaskCreds>> ReadImageCreds(const std::filesystem::path& images_dir);

// OK when every task runs as `uid` (real, effective, saved and filesystem),
// with each of its four gids and each supplementary group either `gid` or in
// `groups`, and with no capability in its permitted, effective, inheritable
// or ambient set. Otherwise PermissionDenied with one sentence naming the
// image and what it claims, e.g. "its images claim uid 0 for a task
// (core-1.img), but the restore is for uid 1001". The bounding set is not
// checked: it only limits what a task may gain. Corruption for no tasks.
// Root may restore anything, so callers do not ask this for uid 0 (a root
// task holds capabilities, which this always refuses).
Status CheckImagesRunAs(const std::vector<TaskCreds>& tasks, uint32_t uid, uint32_t gid,
                        const std::vector<uint32_t>& groups);

}  // namespace stasis::criu
