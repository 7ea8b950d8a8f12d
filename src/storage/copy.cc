#include "storage/copy.h"

#include <vector>

#include "storage/storage.h"
#include "storage/storage_registry.h"

namespace stasis::storage {

Result<uint64_t> CopyObject(const std::string& from, const std::string& to, Progress* progress) {
  ASSIGN_OR_RETURN(std::shared_ptr<Storage> source, StorageFor(from));
  ASSIGN_OR_RETURN(std::shared_ptr<Storage> target, StorageFor(to));
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, source->NewReader(from));
  ASSIGN_OR_RETURN(std::unique_ptr<Writer> writer, target->NewWriter(to));
  if (progress != nullptr) progress->SetPhase("copying " + from, reader->Size());
  // Large enough that an S3 reader's ranged GETs run ahead in parallel.
  std::vector<char> buf(8 << 20);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) break;
    RETURN_IF_ERROR(writer->Append(buf.data(), n));
    if (progress != nullptr) progress->Add(n);
  }
  if (writer->BytesWritten() != reader->Size())
    return Status::Corruption(from + " ended after " + std::to_string(writer->BytesWritten()) +
                              " of " + std::to_string(reader->Size()) + " bytes");
  RETURN_IF_ERROR(writer->Commit());
  return writer->BytesWritten();
}

}  // namespace stasis::storage
