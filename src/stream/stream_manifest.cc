#include "stream/stream_manifest.h"

#include <nlohmann/json.hpp>

#include "storage/location.h"

namespace stasis::stream {

using nlohmann::json;

namespace {

bool IsLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool HasChunkDigests(const StreamManifest& m) {
  for (const auto* list : {&m.files, &m.blobs})
    for (const auto& f : *list)
      for (const auto& c : f.chunks)
        if (!c.sha256.empty()) return true;
  return false;
}

json FilesToJson(const std::vector<StreamFile>& list) {
  json files = json::array();
  for (const auto& f : list) {
    json entry = {{"name", f.name}, {"size", f.size}};
    if (!f.extents.empty()) {
      json extents = json::array();
      for (const auto& e : f.extents) extents.push_back({e.blob, e.offset, e.size});
      entry["extents"] = std::move(extents);
    } else {
      json chunks = json::array();
      for (const auto& c : f.chunks)
        if (c.sha256.empty())
          chunks.push_back({c.shard, c.offset, c.stored, c.size, c.crc32});
        else
          chunks.push_back({c.shard, c.offset, c.stored, c.size, c.crc32, c.sha256});
      entry["chunks"] = std::move(chunks);
    }
    files.push_back(std::move(entry));
  }
  return files;
}

}  // namespace

namespace {

json ManifestJson(const StreamManifest& m) {
  json shards = json::array();
  for (const auto& s : m.shards) shards.push_back({{"name", s.name}, {"size", s.size}});
  archive::Manifest head = m.checkpoint;
  head.kind = "stream";
  head.files.clear();
  int version = !m.encryption.cipher.empty() ? 3
                : HasChunkDigests(m)         ? 4
                : !m.blobs.empty()           ? 2
                                             : 1;
  json j = {{"format", "stasis-stream"},
            {"format_version", version},
            {"checkpoint", json::parse(archive::ManifestToJson(head))},
            {"compression", ChunkCompressionName(m.compression)},
            {"shards", std::move(shards)},
            {"files", FilesToJson(m.files)}};
  if (!m.blobs.empty()) j["blobs"] = FilesToJson(m.blobs);
  if (!m.encryption.cipher.empty()) {
    j["encryption"] = {{"cipher", m.encryption.cipher},
                       {"key_id", m.encryption.key_id},
                       {"salt", m.encryption.salt}};
  }
  if (!m.seal.signed_by.empty()) j["signed_by"] = m.seal.signed_by;
  return j;
}

}  // namespace

std::string StreamManifestToJson(const StreamManifest& m) {
  json j = ManifestJson(m);
  if (!m.seal.mac.empty()) j["mac"] = m.seal.mac;
  return j.dump(1);
}

std::string StreamManifestSignedText(const StreamManifest& m) {
  return ManifestJson(m).dump();
}

std::string ChunkPlace(const std::string& file, size_t index) {
  return "stasis chunk v1\n" + file + "\n" + std::to_string(index);
}

namespace {

// May throw json::exception on a field of the wrong type: the caller turns
// that into Corruption too.
Result<StreamManifest> ParseStreamManifest(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& why) {
    return Status::Corruption("the streamed checkpoint's manifest.json " + why);
  };
  if (j.is_discarded() || !j.is_object()) return bad("is not JSON");
  if (j.value("format", "") != "stasis-stream") return bad("is not a stasis stream manifest");
  if (!j.contains("format_version") || !j["format_version"].is_number_integer())
    return bad("has no format_version");
  StreamManifest m;
  m.format_version = j["format_version"].get<int>();
  if (m.format_version > kStreamFormatVersion)
    return bad("has format version " + std::to_string(m.format_version) +
               ", newer than this stasis reads (" + std::to_string(kStreamFormatVersion) +
               "); upgrade stasis");
  if (!j.contains("checkpoint") || !j["checkpoint"].is_object()) return bad("has no checkpoint");
  auto head = archive::ManifestFromJson(j["checkpoint"].dump());
  if (!head.ok()) return head.status();
  m.checkpoint = std::move(*head);
  if (j.contains("encryption")) {
    const json& e = j["encryption"];
    if (!e.is_object()) return bad("has a malformed encryption section");
    m.encryption.cipher = e.value("cipher", "");
    m.encryption.key_id = e.value("key_id", "");
    m.encryption.salt = e.value("salt", "");
    if (m.encryption.cipher.empty()) return bad("has an encryption section without a cipher");
    if (!j.contains("mac")) return bad("is encrypted but has no mac");
  }
  if (j.contains("mac")) {
    if (!j["mac"].is_string()) return bad("has a malformed mac");
    m.seal.mac = j["mac"].get<std::string>();
    m.seal.signed_by = j.value("signed_by", "");
    json rest = j;
    rest.erase("mac");
    m.seal.signed_text = rest.dump();
  }
  auto compression = ParseChunkCompression(j.value("compression", ""));
  if (!compression.ok()) return bad("names an unknown compression");
  m.compression = *compression;
  try {
    for (const auto& s : j.at("shards")) {
      StreamShard shard{s.at("name").get<std::string>(), s.at("size").get<uint64_t>()};
      if (!archive::IsSafeMemberName(shard.name)) return bad("names an unsafe shard");
      m.shards.push_back(std::move(shard));
    }
    if (m.shards.empty()) return bad("lists no shards");
    // Blobs first: the files' extents point into them.
    auto chunked = [&](const json& f, const char* what, StreamFile* file) -> Status {
      file->name = f.at("name").get<std::string>();
      file->size = f.at("size").get<uint64_t>();
      if (!archive::IsSafeMemberName(file->name))
        return bad(std::string("names an unsafe ") + what);
      uint64_t total = 0;
      for (const auto& c : f.at("chunks")) {
        if (!c.is_array() || (c.size() != 5 && c.size() != 6)) return bad("has a malformed chunk");
        ChunkRef ref{c[0].get<uint32_t>(), c[1].get<uint64_t>(), c[2].get<uint64_t>(),
                     c[3].get<uint64_t>(), c[4].get<uint32_t>(), ""};
        if (c.size() == 6) {
          ref.sha256 = c[5].get<std::string>();
          if (!IsLowerHex64(ref.sha256)) return bad("has a malformed chunk digest");
        }
        if (ref.shard >= m.shards.size() || ref.offset > m.shards[ref.shard].size ||
            ref.stored > m.shards[ref.shard].size - ref.offset)
          return bad("has a chunk of " + file->name + " outside its shard");
        if (ref.size > (1ull << 30)) return bad("has an oversized chunk in " + file->name);
        total += ref.size;
        file->chunks.push_back(ref);
      }
      if (total != file->size) return bad("has chunks of " + file->name + " that do not add up");
      return Status::OK();
    };
    if (j.contains("blobs")) {
      for (const auto& b : j.at("blobs")) {
        StreamFile blob;
        RETURN_IF_ERROR(chunked(b, "blob", &blob));
        m.blobs.push_back(std::move(blob));
      }
    }
    for (const auto& f : j.at("files")) {
      StreamFile file;
      if (!f.contains("extents")) {
        RETURN_IF_ERROR(chunked(f, "image file", &file));
        m.files.push_back(std::move(file));
        continue;
      }
      file.name = f.at("name").get<std::string>();
      file.size = f.at("size").get<uint64_t>();
      if (!archive::IsSafeMemberName(file.name)) return bad("names an unsafe image file");
      uint64_t total = 0;
      for (const auto& e : f.at("extents")) {
        if (!e.is_array() || e.size() != 3) return bad("has a malformed extent");
        Extent x{e[0].get<uint32_t>(), e[1].get<uint64_t>(), e[2].get<uint64_t>()};
        if (x.blob >= m.blobs.size() || x.offset > m.blobs[x.blob].size ||
            x.size > m.blobs[x.blob].size - x.offset || x.size == 0)
          return bad("has an extent of " + file.name + " outside its blob");
        total += x.size;
        file.extents.push_back(x);
      }
      if (total != file.size) return bad("has extents of " + file.name + " that do not add up");
      m.files.push_back(std::move(file));
    }
  } catch (const json::exception&) {
    return bad("has a field of the wrong type or is missing one");
  }
  return m;
}

}  // namespace

Result<StreamManifest> StreamManifestFromJson(std::string_view text) {
  try {
    return ParseStreamManifest(text);
  } catch (const json::exception&) {
    return Status::Corruption(
        "the streamed checkpoint's manifest.json has a field of the wrong type or is missing one");
  }
}

Result<StreamManifest> ReadStreamManifest(storage::Storage* store, const std::string& prefix) {
  std::string location = storage::JoinLocation(prefix, kStreamManifestName);
  ASSIGN_OR_RETURN(auto reader, store->NewReader(location));
  if (reader->Size() > (64ull << 20))
    return Status::Corruption(location + " is too large to be a stasis manifest");
  std::string text;
  char buf[65536];
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader->Read(buf, sizeof buf));
    if (n == 0) break;
    text.append(buf, n);
  }
  return StreamManifestFromJson(text);
}

}  // namespace stasis::stream
