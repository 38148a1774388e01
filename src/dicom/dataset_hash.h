// The identity of an instance however it arrives (issue 16): the hash of its data set, the
// bytes after the DICOM file meta group (PS3.10 7.1). A receiver (a C-STORE SCP, a STOW-RS
// server, a PACS that stores what it was sent) rebuilds the file meta group (Source AE Title,
// Implementation Class UID, ...) and keeps the data set as sent, so the same instance received
// twice, or received once and dropped once as a file, has one data-set hash and different
// whole-file hashes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/hash.h"

namespace dicomlake::dicom {

// XXH3-128 hex of the data set of a DICOM file fed in pieces: a Part-10 file (128-byte preamble,
// "DICM", the group 0002 elements in explicit VR little endian) is hashed from the first element
// after group 0002; anything else (a bare data set, an unreadable meta group) whole. A data set
// in the deflated transfer syntax (1.2.840.10008.1.2.1.99, PS3.5 A.5) is hashed inflated: a
// sender that inflates and deflates it again (Orthanc does) keeps its identity; the padding after
// the end of the deflate stream is not part of it. (Bytes that do not inflate are hashed as they
// are from where inflating failed.) Not thread-safe.
class DatasetHasher {
 public:
  DatasetHasher();
  ~DatasetHasher();
  DatasetHasher(const DatasetHasher&) = delete;
  DatasetHasher& operator=(const DatasetHasher&) = delete;

  void Update(std::string_view data);
  std::string HexDigest();

 private:
  // Parses the preamble and meta group held in pending_; hashes what follows them.
  void Consume();
  // Hashes data set bytes (inflating them when the data set is deflated).
  void HashDataset(std::string_view data);

  enum class State { kPreamble, kMeta, kDataset };
  State state_ = State::kPreamble;
  std::string pending_;  // bytes not yet decided (the preamble, the element being parsed)
  uint64_t skip_ = 0;    // meta value bytes still to skip
  struct Inflater;
  Inflater* inflater_ = nullptr;  // set once the meta group names the deflated syntax
  Xxh3Hasher hasher_;
};

// The data-set hash of a whole file in memory.
std::string DatasetHash(std::string_view file);

}  // namespace dicomlake::dicom
