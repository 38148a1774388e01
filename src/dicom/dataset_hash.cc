#include "dicom/dataset_hash.h"

#include <zlib.h>

#include <cstring>

namespace dicomlake::dicom {
namespace {

constexpr size_t kPreamble = 132;  // 128 bytes and "DICM"

uint16_t Le16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1])
                                                                      << 8);
}

uint32_t Le32(const char* p) {
  return static_cast<uint32_t>(Le16(p)) | static_cast<uint32_t>(Le16(p + 2)) << 16;
}

// Explicit VR little endian: the VRs with a 2-byte reserved field and a 4-byte length (PS3.5
// 7.1.2).
bool HasLongLength(const char* vr) {
  static const char* const kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                      "SV", "UC", "UN", "UR", "UT", "UV"};
  for (const char* v : kLong)
    if (vr[0] == v[0] && vr[1] == v[1]) return true;
  return false;
}

constexpr char kDeflated[] = "1.2.840.10008.1.2.1.99";

}  // namespace

// A raw deflate stream (RFC 1951, no zlib header: PS3.5 A.5) inflated piece by piece.
struct DatasetHasher::Inflater {
  z_stream z{};
  bool ok = false;     // inflating
  bool ended = false;  // the deflate stream ended: later bytes are padding
  Inflater() { ok = inflateInit2(&z, -MAX_WBITS) == Z_OK; }
  ~Inflater() {
    if (ok) inflateEnd(&z);
  }
};

DatasetHasher::DatasetHasher() = default;

DatasetHasher::~DatasetHasher() { delete inflater_; }

void DatasetHasher::HashDataset(std::string_view data) {
  if (inflater_ != nullptr && inflater_->ended) return;
  if (inflater_ == nullptr || !inflater_->ok) {
    hasher_.Update(data);
    return;
  }
  z_stream& z = inflater_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char out[65536];
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(out);
    z.avail_out = sizeof out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    hasher_.Update(std::string_view(out, sizeof out - z.avail_out));
    if (rc == Z_STREAM_END) {  // what follows is padding to an even length: not data
      inflateEnd(&z);
      inflater_->ok = false;
      inflater_->ended = true;
      return;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {  // bytes that do not inflate: the rest as they are
      std::string_view rest(reinterpret_cast<const char*>(z.next_in), z.avail_in);
      inflateEnd(&z);
      inflater_->ok = false;
      hasher_.Update(rest);
      return;
    }
    if (z.avail_out != 0) return;  // the input is used up; what it gave is out
  }
}

void DatasetHasher::Update(std::string_view data) {
  if (state_ == State::kDataset) {
    HashDataset(data);
    return;
  }
  pending_.append(data);
  Consume();
}

void DatasetHasher::Consume() {
  if (state_ == State::kPreamble) {
    if (pending_.size() < kPreamble) return;
    if (std::memcmp(pending_.data() + 128, "DICM", 4) != 0) {  // no file meta: all data set
      state_ = State::kDataset;
      hasher_.Update(pending_);
      pending_.clear();
      return;
    }
    pending_.erase(0, kPreamble);
    state_ = State::kMeta;
  }
  while (state_ == State::kMeta) {
    if (skip_ > 0) {
      const uint64_t n = std::min<uint64_t>(skip_, pending_.size());
      pending_.erase(0, n);
      skip_ -= n;
      if (skip_ > 0) return;
    }
    if (pending_.size() < 8) return;
    if (Le16(pending_.data()) != 0x0002) {  // the first element of the data set
      state_ = State::kDataset;
      break;
    }
    const char* vr = pending_.data() + 4;
    if (HasLongLength(vr)) {
      if (pending_.size() < 12) return;
      const uint32_t length = Le32(pending_.data() + 8);
      if (length == 0xFFFFFFFFu) {  // undefined length in the meta group: not PS3.10
        state_ = State::kDataset;
        break;
      }
      pending_.erase(0, 12);
      skip_ = length;
    } else {
      const uint16_t length = Le16(pending_.data() + 6);
      if (Le16(pending_.data() + 2) == 0x0010) {  // (0002,0010) Transfer Syntax UID
        if (pending_.size() < 8u + length) return;
        std::string ts = pending_.substr(8, length);
        while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' ')) ts.pop_back();
        if (ts == kDeflated && inflater_ == nullptr) inflater_ = new Inflater();
      }
      pending_.erase(0, 8);
      skip_ = length;
    }
  }
  if (state_ == State::kDataset && !pending_.empty()) {
    std::string rest;
    rest.swap(pending_);
    HashDataset(rest);
  }
}

std::string DatasetHasher::HexDigest() {
  // A file shorter than its preamble, or ending inside the meta group: hashed as it is.
  if (state_ != State::kDataset && !pending_.empty()) {
    hasher_.Update(pending_);
    pending_.clear();
  }
  state_ = State::kDataset;
  return hasher_.HexDigest();
}

std::string DatasetHash(std::string_view file) {
  DatasetHasher h;
  h.Update(file);
  return h.HexDigest();
}

}  // namespace dicomlake::dicom
