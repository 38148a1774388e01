#include "net/dicom_parts.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.h"
#include "common/large_stack.h"
#include "dicom/dicom_reader.h"
#include "dicom/tags.h"
#include "dicom/values.h"
#include "net/spool.h"

namespace dicomlake::net {
namespace {

// Reads the stored part back: a DICOM file with its identity, of `study` when one is given.
StoredPart CheckPart(const std::string& path, const std::string& study) {
  StoredPart part;
  Result<dicom::DicomFile> file = InvalidArgument("not read");
  Status ran = RunOnLargeStack([&] { file = dicom::ReadDicomFile(path); });
  if (!ran.ok()) file = ran;
  if (!file.ok()) {
    part.failure_reason = kCannotUnderstand;
    part.reason = "not a readable DICOM file: " + file.status().message();
    return part;
  }
  part.sop_class_uid = file->data.FirstString(dicom::tag::kSOPClassUID.tag());
  if (part.sop_class_uid.empty())
    part.sop_class_uid = file->meta.FirstString(dicom::tag::kMediaStorageSOPClassUID.tag());
  part.sop_instance_uid = file->data.FirstString(dicom::tag::kSOPInstanceUID.tag());
  part.study_instance_uid = file->data.FirstString(dicom::tag::kStudyInstanceUID.tag());
  part.series_instance_uid = file->data.FirstString(dicom::tag::kSeriesInstanceUID.tag());
  if (file->meta.elements.empty()) {
    part.failure_reason = kCannotUnderstand;
    part.reason = "not a DICOM file in the PS3.10 format (no file meta information)";
  } else if (!dicom::IsValidUid(part.sop_instance_uid) || !dicom::IsValidUid(part.sop_class_uid)) {
    part.failure_reason = kDataSetDoesNotMatch;
    part.reason = "no valid SOP Class UID and SOP Instance UID";
  } else if (!dicom::IsValidUid(part.study_instance_uid)) {
    part.failure_reason = kDataSetDoesNotMatch;
    part.reason = "no valid Study Instance UID";
  } else if (!study.empty() && part.study_instance_uid != study) {
    part.failure_reason = kDataSetDoesNotMatch;
    part.reason = "Study Instance UID " + part.study_instance_uid +
                  " is not the study asked for (" + study + ")";
  }
  return part;
}

}  // namespace

PartSink::PartSink(std::string folder, std::string study)
    : folder_(std::move(folder)), study_(std::move(study)) {}

PartSink::~PartSink() { Discard(); }

MultipartReader::Callbacks PartSink::Callbacks() {
  return {[this](const PartHeaders& h) { return Begin(h); },
          [this](std::string_view b) { return Data(b); }, [this] { return End(); }};
}

Status PartSink::Begin(const PartHeaders& headers) {
  current_ = StoredPart();
  const std::string type = HeaderValue(headers, "content-type");
  if (!type.empty()) {
    auto media = ParseMediaType(type);
    if (!media.ok() || media->type != "application/dicom") {
      Reject(kCannotUnderstand, "part " + std::to_string(parts_.size() + 1) +
                                    " has Content-Type '" + type +
                                    "'; only application/dicom is stored");
      return Status::Ok();
    }
  }
  Status made = fs::MakeDirs(folder_);
  if (made.ok()) {
    temp_ = SpoolTempPath(folder_);
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) made = ErrnoError(errno, "cannot create " + temp_);
  }
  if (!made.ok()) Reject(kOutOfResources, made.message());
  return Status::Ok();
}

Status PartSink::Data(std::string_view bytes) {
  if (fd_ < 0) return Status::Ok();  // a rejected part: its bytes are dropped
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status st = ErrnoError(errno, "cannot write " + temp_);
      Discard();
      Reject(kOutOfResources, st.message());
      return Status::Ok();
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    bytes_ += n;
  }
  return Status::Ok();
}

Status PartSink::End() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    current_ = CheckPart(temp_, study_);
    if (current_.failure_reason == 0) {
      auto committed = CommitSpoolFile(temp_, folder_, current_.sop_instance_uid);
      temp_.clear();
      if (committed.ok()) {
        files_.push_back(*committed);
      } else {
        current_.failure_reason = kOutOfResources;
        current_.reason = committed.status().message();
      }
    }
    Discard();
  }
  parts_.push_back(current_);
  return Status::Ok();
}

void PartSink::Reject(uint16_t reason, std::string why) {
  current_.failure_reason = reason;
  current_.reason = std::move(why);
}

void PartSink::Discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) (void)fs::RemoveFile(temp_);
  temp_.clear();
}

void PartSink::Abort() { Discard(); }

}  // namespace dicomlake::net
