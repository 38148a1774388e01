#include "net/stow_server.h"

#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/time_util.h"
#include "dicom/values.h"
#include "net/dicom_parts.h"
#include "net/http_listener.h"
#include "net/multipart.h"
#include "net/spool.h"

namespace dicomlake::net {
namespace {

using Json = nlohmann::ordered_json;

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
  HttpListener listener;  // after the server: stops before it is destroyed
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
  PartSink sink(SpoolFolder(options.spool, "STOW-RS"), study);
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
  DL_ASSIGN_OR_RETURN(port_, impl_->listener.Start(s, options.bind_address, options.port, "HTTP"));
  impl_->options.port = port_;
  return Status::Ok();
}

int StowServer::active() const { return impl_->active.load(); }

void StowServer::Stop() { impl_->listener.Stop(); }

}  // namespace dicomlake::net
