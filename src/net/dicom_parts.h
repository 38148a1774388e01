// The DICOM parts of a multipart body (STOW-RS requests, WADO-RS answers) written into the
// spool (net/spool.h): each part streamed to a temporary file, read back (a DICOM PS3.10 file
// with SOP Class, SOP Instance and Study Instance UIDs; the expected study when one is given),
// and made durable under its SOP Instance UID, or dropped with a reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "net/multipart.h"

namespace dicomlake::net {

// Failure Reasons (PS3.18 §10.5.3, the values of PS3.4 Annex B C-STORE statuses).
inline constexpr uint16_t kOutOfResources = 0xA700;
inline constexpr uint16_t kDataSetDoesNotMatch = 0xA900;
inline constexpr uint16_t kCannotUnderstand = 0xC000;

// One part, stored or not.
struct StoredPart {
  std::string sop_class_uid, sop_instance_uid, study_instance_uid, series_instance_uid;
  uint16_t failure_reason = 0;  // 0: stored; else one of the codes above
  std::string reason;           // why it failed, in words
};

// Not thread-safe: one per body. The callbacks of a MultipartReader call Begin, Data and End.
class PartSink {
 public:
  // Parts go to `folder` (created when the first part comes); `study`: the study every part must
  // belong to ("" for any).
  PartSink(std::string folder, std::string study);
  ~PartSink();
  PartSink(const PartSink&) = delete;
  PartSink& operator=(const PartSink&) = delete;

  Status Begin(const PartHeaders& headers);
  Status Data(std::string_view bytes);
  Status End();
  // Ends a body cut short: a part being received is not kept.
  void Abort();
  // Callbacks for a MultipartReader feeding this sink.
  MultipartReader::Callbacks Callbacks();

  const std::vector<StoredPart>& parts() const { return parts_; }
  const std::vector<std::string>& files() const { return files_; }  // stored, in order
  int64_t bytes() const { return bytes_; }

 private:
  void Reject(uint16_t reason, std::string why);
  void Discard();

  std::string folder_, study_, temp_;
  int fd_ = -1;
  StoredPart current_;
  std::vector<StoredPart> parts_;
  std::vector<std::string> files_;
  int64_t bytes_ = 0;
};

}  // namespace dicomlake::net
