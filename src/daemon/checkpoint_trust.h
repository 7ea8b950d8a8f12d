// Restoring is a trust decision: CRIU restores whatever the images say, as
// root, so a checkpoint from storage is untrusted until its manifest's MAC
// checks out. Every checkpoint this daemon writes is signed (its signing
// key, or for an encrypted one its encryption key); this decides what a
// restore may use:
//   - root, checkpoint.trust "any": anything, but an unauthenticated one
//     with a warning that says so;
//   - root, "signed" (or an encryption key configured, for unencrypted
//     checkpoints): signed ones, or any with --trust-unsigned;
//   - anyone else: only signed checkpoints made for their own uid.
// The images' task credentials are checked separately, before CRIU runs
// (criu/image_creds.h).
#pragma once

#include <string>

#include "archive/manifest.h"
#include "common/caller.h"
#include "common/result.h"
#include "config/config.h"
#include "stream/signing_key.h"
#include "stream/stream_manifest.h"

namespace stasis::daemon {

enum class Authenticity {
  kSigned,    // the MAC checks out under a key this host holds
  kUnsigned,  // no MAC (made before signing, or by hand)
  kOtherKey,  // signed or encrypted with a key this host does not hold
  kAltered,   // names this host's key, but the MAC does not match
};
// "signed", "unsigned", "signed by another key", "altered since it was signed".
const char* AuthenticityName(Authenticity a);

class CheckpointTrust {
 public:
  CheckpointTrust(const config::Config* config, const stream::SigningKey* key)
      : config_(config), key_(key) {}

  // A plain archive's header or full manifest.
  Authenticity Of(const archive::Manifest& m) const;
  // A streamed checkpoint's manifest: encrypted ones by their encryption key.
  Authenticity Of(const stream::StreamManifest& m) const;

  // OK when `caller` may restore the checkpoint `m` describes (`what` names
  // it in messages); otherwise PermissionDenied in one sentence. `encrypted`:
  // authenticated by its encryption key. For root's restore of an
  // unauthenticated checkpoint, `warning` gets the sentence to show.
  Status Admit(const Caller& caller, Authenticity a, const archive::Manifest& m, bool encrypted,
               bool trust_unsigned, const std::string& what, std::string* warning) const;

  const stream::SigningKey* key() const { return key_; }

 private:
  bool SignaturesRequired(bool encrypted) const;

  const config::Config* config_;
  const stream::SigningKey* key_;  // nullptr: this host holds no signing key
};

}  // namespace stasis::daemon
