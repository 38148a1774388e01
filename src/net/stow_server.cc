#include "net/stow_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/fs.h"
#include "common/large_stack.h"
#include "common/time_util.h"
#include "dicom/dicom_reader.h"
#include "dicom/tags.h"
#include "dicom/values.h"
#include "net/multipart.h"
#include "net/spool.h"

namespace dicomlake::net {
namespace {

using Json = nlohmann::ordered_json;

// Failure Reasons (PS3.18 §10.5.3, values of PS3.4 Annex B C-STORE statuses).
constexpr uint16_t kOutOfResources = 0xA700;
constexpr uint16_t kDataSetDoesNotMatch = 0xA900;
constexpr uint16_t kCannotUnderstand = 0xC000;

// The private block carrying a failure's reason in words (PS3.5 7.8.1): creator at (0009,0010).
constexpr const char* kPrivateCreator = "DICOMLAKE";

Json Attribute(const char* vr, const std::string& value) {
  Json a;
  a["vr"] = vr;
  if (!value.empty()) a["Value"] = Json::array({value});  // PS3.18 F.2.5: empty has no Value
  return a;
}

std::string InstanceUrl(const std::string& base, const StoredPart& p) {
  return base + "/studies/" + p.study_instance_uid + "/series/" + p.series_instance_uid +
         "/instances/" + p.sop_instance_uid;
}

// Reads the stored part back: a DICOM file with its identity; the study of the URL when given.
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
                  " is not the study of the request's URL (" + study + ")";
  }
  return part;
}

// One request's parts, each streamed into a temporary spool file and kept or dropped at its end.
class PartSink {
 public:
  PartSink(const std::string& spool, std::string study) : study_(std::move(study)) {
    folder_ = SpoolFolder(spool, "STOW-RS");
  }
  ~PartSink() { Discard(); }

  Status Begin(const PartHeaders& headers) {
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

  Status Data(std::string_view bytes) {
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

  Status End() {
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

  // Ends a body cut short: a part being received is not kept.
  void Abort() { Discard(); }

  const std::vector<StoredPart>& parts() const { return parts_; }
  const std::vector<std::string>& files() const { return files_; }
  int64_t bytes() const { return bytes_; }

 private:
  void Reject(uint16_t reason, std::string why) {
    current_.failure_reason = reason;
    current_.reason = std::move(why);
  }
  void Discard() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_.empty()) (void)fs::RemoveFile(temp_);
    temp_.clear();
  }

  std::string study_, folder_, temp_;
  int fd_ = -1;
  StoredPart current_;
  std::vector<StoredPart> parts_;
  std::vector<std::string> files_;
  int64_t bytes_ = 0;
};

void Answer(httplib::Response& res, int status, const std::string& reason) {
  res.status = status;
  res.set_content(reason + "\n", "text/plain; charset=utf-8");
}

}  // namespace

StowResponse BuildStowResponse(const std::vector<StoredPart>& parts, const std::string& base_url,
                               const std::string& study) {
  StowResponse out;
  Json body = Json::object();
  Json failed = Json::array(), stored = Json::array();
  std::string only_study = study;
  bool one_study = true;
  for (const auto& p : parts) {
    Json item;
    item["00081150"] = Attribute("UI", p.sop_class_uid);
    item["00081155"] = Attribute("UI", p.sop_instance_uid);
    if (p.failure_reason != 0) {
      item["00081197"] = {{"vr", "US"}, {"Value", Json::array({p.failure_reason})}};
      item["00090010"] = Attribute("LO", kPrivateCreator);
      item["00091001"] = Attribute("LT", p.reason);
      failed.push_back(std::move(item));
      std::string warning = p.reason;
      for (char& c : warning)
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 32) c = ' ';
      out.warnings.push_back("299 dicomlake \"" + warning + "\"");
      continue;
    }
    item["00081190"] = Attribute("UR", InstanceUrl(base_url, p));
    stored.push_back(std::move(item));
    if (only_study.empty()) only_study = p.study_instance_uid;
    if (p.study_instance_uid != only_study) one_study = false;
  }
  if (one_study && !only_study.empty())
    body["00081190"] = Attribute("UR", base_url + "/studies/" + only_study);
  if (!failed.empty()) body["00081198"] = {{"vr", "SQ"}, {"Value", failed}};
  if (!stored.empty()) body["00081199"] = {{"vr", "SQ"}, {"Value", stored}};
  // PS3.18 §10.5.3: 200 all stored, 202 some failed, 409 none stored.
  out.http_status = failed.empty() ? 200 : stored.empty() ? 409 : 202;
  out.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return out;
}

struct StowServer::Impl {
  StowOptions options;
  AssociationCallback on_request;
  httplib::Server server;
  std::thread thread;
  std::atomic<int> active{0};

  void Handle(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader);
};

void StowServer::Impl::Handle(const httplib::Request& req, httplib::Response& res,
                              const httplib::ContentReader& reader) {
  active++;
  AssociationRecord record;
  record.protocol = "STOW-RS";
  record.peer_address = req.remote_addr;
  record.started_us = NowMicros();
  const std::string study = req.matches.size() > 1 ? req.matches[1].str() : std::string();
  PartSink sink(options.spool, study);
  auto finish = [&](const std::string& end) {
    record.ended_us = NowMicros();
    record.end = end;
    record.bytes = sink.bytes();
    record.files = sink.files();
    for (const auto& p : sink.parts()) {
      if (p.failure_reason == 0) {
        record.stored++;
      } else {
        record.failed++;
        record.failures.push_back((p.sop_instance_uid.empty() ? "?" : p.sop_instance_uid) + ": " +
                                  p.reason);
      }
    }
    if (on_request) on_request(record);
    active--;
  };

  if (!study.empty() && !dicom::IsValidUid(study)) {
    Answer(res, 400, "not a Study Instance UID: " + study);
    return finish("refused: bad study in the URL");
  }
  auto media = ParseMediaType(req.get_header_value("Content-Type"));
  if (!media.ok() || media->type != "multipart/related") {
    Answer(res, 415, "STOW-RS takes multipart/related; type=\"application/dicom\" bodies");
    return finish("refused: Content-Type is not multipart/related");
  }
  const std::string root_type = media->Param("type");
  if (!root_type.empty() && root_type != "application/dicom") {
    Answer(res, 415, "only application/dicom parts are stored, not " + root_type);
    return finish("refused: type " + root_type);
  }
  const std::string boundary = media->Param("boundary");
  if (boundary.empty() || boundary.size() > 70) {
    Answer(res, 400, "the Content-Type has no valid boundary parameter");
    return finish("refused: no boundary");
  }
  MultipartReader body(
      boundary, {[&](const PartHeaders& h) { return sink.Begin(h); },
                 [&](std::string_view b) { return sink.Data(b); }, [&] { return sink.End(); }});
  Status parsed;
  const bool read = reader([&](const char* data, size_t n) {
    parsed = body.Feed(std::string_view(data, n));
    return parsed.ok();
  });
  if (parsed.ok() && read) parsed = body.Finish();
  if (!parsed.ok() || !read) {
    sink.Abort();
    const std::string why = !parsed.ok() ? parsed.message() : "the body was cut short";
    Answer(res, 400,
           "malformed multipart body: " + why + " (" + std::to_string(sink.files().size()) +
               " part(s) before the fault were stored)");
    return finish("malformed body: " + why);
  }
  if (sink.parts().empty()) {
    Answer(res, 400, "the body holds no part");
    return finish("refused: no part");
  }
  std::string host = req.get_header_value("Host");
  if (host.empty()) host = options.bind_address + ":" + std::to_string(options.port);
  StowResponse answer = BuildStowResponse(sink.parts(), "http://" + host + "/dicom-web", study);
  res.status = answer.http_status;
  for (const auto& w : answer.warnings) res.set_header("Warning", w);
  res.set_content(answer.body, "application/dicom+json");
  finish("answered " + std::to_string(answer.http_status));
}

StowServer::StowServer() : impl_(std::make_unique<Impl>()) {}

StowServer::~StowServer() { Stop(); }

Status StowServer::Start(const StowOptions& options, AssociationCallback on_request) {
  if (options.spool.empty()) return InvalidArgument("the STOW-RS server needs a spool folder");
  DL_RETURN_IF_ERROR(fs::MakeDirs(options.spool));
  impl_->options = options;
  impl_->on_request = std::move(on_request);
  httplib::Server& s = impl_->server;
  const int threads = std::max(1, options.max_requests);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(static_cast<size_t>(options.max_request_bytes));
  s.set_read_timeout(options.timeout_seconds);
  s.set_write_timeout(options.timeout_seconds);
  s.Post(R"(/(?:dicom-web/)?studies/?)",
         [this](const httplib::Request& q, httplib::Response& r, const httplib::ContentReader& c) {
           impl_->Handle(q, r, c);
         });
  s.Post(R"(/(?:dicom-web/)?studies/([^/]+)/?)",
         [this](const httplib::Request& q, httplib::Response& r, const httplib::ContentReader& c) {
           impl_->Handle(q, r, c);
         });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& r, std::exception_ptr) {
    Answer(r, 500, "internal error");
  });
  int port = options.port;
  if (port == 0) {
    port = s.bind_to_any_port(options.bind_address);
    if (port < 0) return IoError("cannot listen on " + options.bind_address + " (HTTP)");
  } else if (!s.bind_to_port(options.bind_address, port)) {
    return IoError("cannot listen on " + options.bind_address + ":" + std::to_string(port) +
                   " (HTTP): is the port taken?");
  }
  port_ = port;
  impl_->options.port = port;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  return Status::Ok();
}

int StowServer::active() const { return impl_->active.load(); }

void StowServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();  // closes the listening socket; the pool finishes its requests
  impl_->thread.join();
}

}  // namespace dicomlake::net
