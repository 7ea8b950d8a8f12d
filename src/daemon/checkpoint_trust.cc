#include "daemon/checkpoint_trust.h"

#include "daemon/checkpoint_encryption.h"

namespace stasis::daemon {

namespace {

Authenticity OfSeal(const archive::ManifestSeal& seal, const stream::SigningKey* key) {
  if (seal.mac.empty()) return Authenticity::kUnsigned;
  if (key == nullptr || seal.signed_by != key->KeyId()) return Authenticity::kOtherKey;
  return key->Verify(seal.signed_text, seal.mac) ? Authenticity::kSigned : Authenticity::kAltered;
}

}  // namespace

const char* AuthenticityName(Authenticity a) {
  switch (a) {
    case Authenticity::kSigned:
      return "signed";
    case Authenticity::kUnsigned:
      return "unsigned";
    case Authenticity::kOtherKey:
      return "signed by another key";
    case Authenticity::kAltered:
      return "altered since it was signed";
  }
  return "unknown";
}

Authenticity CheckpointTrust::Of(const archive::Manifest& m) const {
  return OfSeal(m.seal, key_);
}

Authenticity CheckpointTrust::Of(const stream::StreamManifest& m) const {
  if (m.encryption.cipher.empty()) return OfSeal(m.seal, key_);
  auto cipher = CipherToRestore(*config_, m);
  if (cipher.ok()) return Authenticity::kSigned;
  return cipher.status().code() == StatusCode::kCorruption ? Authenticity::kAltered
                                                           : Authenticity::kOtherKey;
}

bool CheckpointTrust::SignaturesRequired(bool encrypted) const {
  if (config_->checkpoint_trust == "signed") return true;
  // A host that encrypts its checkpoints must not be handed a plain one.
  const bool encrypting = !config_->checkpoint_encryption_key_file.empty() ||
                          !config_->checkpoint_encryption_key.empty();
  return encrypting && !encrypted;
}

Status CheckpointTrust::Admit(const Caller& caller, Authenticity a, const archive::Manifest& m,
                              bool encrypted, bool trust_unsigned, const std::string& what,
                              std::string* warning) const {
  if (trust_unsigned && !caller.is_root())
    return Status::PermissionDenied("--trust-unsigned is for root only");
  const std::string why = AuthenticityName(a);
  if (a == Authenticity::kSigned) {
    if (!caller.is_root() && m.job.uid != caller.uid)
      return Status::PermissionDenied(what + " belongs to another user (it was made for uid " +
                                      std::to_string(m.job.uid) + ")");
    return Status::OK();
  }
  if (!caller.is_root())
    return Status::PermissionDenied(what + " is not signed by a key this host trusts (" + why +
                                    "); only root may restore such a checkpoint");
  if (SignaturesRequired(encrypted) && !trust_unsigned)
    return Status::PermissionDenied(what + " is not signed by a key this host trusts (" + why +
                                    "); nothing was started: pass --trust-unsigned to restore it "
                                    "anyway");
  if (warning != nullptr)
    *warning = what + " was not authenticated (" + why + ")" +
               (trust_unsigned ? ", restored because of --trust-unsigned"
                               : "; set checkpoint.trust to signed to refuse such checkpoints");
  return Status::OK();
}

}  // namespace stasis::daemon
