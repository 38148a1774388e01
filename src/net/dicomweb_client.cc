#include "net/dicomweb_client.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "common/percent_encoding.h"
#include "net/multipart.h"

namespace dicomlake::net {
namespace {

using Json = nlohmann::json;

// The first value of attribute `key` in a DICOM JSON object, as text ("" when absent). IS and DS
// values may come as JSON numbers (PS3.18 F.2.3) or as strings (some servers).
std::string FirstValue(const Json& object, const char* key) {
  auto a = object.find(key);
  if (a == object.end() || !a->is_object()) return {};
  auto v = a->find("Value");
  if (v == a->end() || !v->is_array() || v->empty()) return {};
  const Json& first = v->front();
  if (first.is_string()) return first.get<std::string>();
  if (first.is_number_integer()) return std::to_string(first.get<int64_t>());
  if (first.is_number()) return first.dump();
  return {};
}

// What to check when the server refuses the credentials.
std::string AuthHint(long status) {
  if (status != 401 && status != 403) return {};
  return " (credentials: --netrc-file, DICOMLAKE_DICOMWEB_USER and DICOMLAKE_DICOMWEB_PASSWORD, "
         "or a bearer token in DICOMLAKE_DICOMWEB_TOKEN)";
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

Result<std::vector<RemoteStudy>> QueryStudies(const std::string& base_url, const StudyQuery& query,
                                              const HttpAuth& auth) {
  std::string filters = "includefield=00201208&includefield=00080020";
  if (!query.study_date.empty()) filters += "&StudyDate=" + PercentEncode(query.study_date);
  if (!query.modality.empty()) filters += "&ModalitiesInStudy=" + PercentEncode(query.modality);
  if (!query.study_instance_uid.empty())
    filters += "&StudyInstanceUID=" + PercentEncode(query.study_instance_uid);
  HttpRequestOptions options;
  options.headers = {"Accept: application/dicom+json, application/json"};
  std::vector<RemoteStudy> out;
  std::set<std::string> seen;
  for (int offset = 0;;) {
    const std::string url = TrimSlash(base_url) + "/studies?" + filters +
                            "&limit=" + std::to_string(query.page_size) +
                            "&offset=" + std::to_string(offset);
    DL_ASSIGN_OR_RETURN(auto answer, HttpGetText(url, auth, options));
    const auto& [response, body] = answer;
    if (response.status == 204) break;  // no (more) matches (PS3.18 §10.6.3)
    if (response.status != 200) {
      return IoError("QIDO-RS " + UrlForMessages(TrimSlash(base_url)) + "/studies answered HTTP " +
                     std::to_string(response.status) + AuthHint(response.status));
    }
    Json page = Json::parse(body, nullptr, false);
    if (!page.is_array()) {
      return InvalidArgument("QIDO-RS " + UrlForMessages(TrimSlash(base_url)) +
                             "/studies: the answer is not a DICOM JSON array");
    }
    int added = 0;
    for (const Json& study : page) {
      RemoteStudy s;
      s.study_instance_uid = FirstValue(study, "0020000D");
      if (s.study_instance_uid.empty() || !seen.insert(s.study_instance_uid).second) continue;
      s.study_date = FirstValue(study, "00080020");
      const std::string n = FirstValue(study, "00201208");
      if (!n.empty()) s.instances = std::strtoll(n.c_str(), nullptr, 10);
      out.push_back(std::move(s));
      added++;
    }
    // The last page: shorter than the limit, or nothing new (a server that ignores offset).
    if (static_cast<int>(page.size()) < query.page_size || added == 0) break;
    offset += static_cast<int>(page.size());
  }
  return out;
}

Result<RetrievedStudy> RetrieveStudy(const std::string& base_url, const std::string& study,
                                     const HttpAuth& auth, const std::string& folder) {
  const std::string url = TrimSlash(base_url) + "/studies/" + PercentEncode(study);
  RetrievedStudy out;
  // As stored first (PS3.18 §8.7.3.5.2: transfer-syntax=* asks for no transcoding); a server
  // that does not take "*" (406) is asked again without it.
  const char* const kAccept[] = {
      "Accept: multipart/related; type=\"application/dicom\"; transfer-syntax=*",
      "Accept: multipart/related; type=\"application/dicom\""};
  for (const char* accept : kAccept) {
    PartSink sink(folder, study);
    std::unique_ptr<MultipartReader> reader;
    std::string error_body;
    HttpRequestOptions options;
    options.headers = {accept};
    options.on_headers = [&](const HttpResponse& r) -> Status {
      if (r.status != 200) return Status::Ok();  // the error page is read for the message
      const std::string type = r.Header("content-type");
      auto media = ParseMediaType(type);
      if (!media.ok() || media->type != "multipart/related" || media->Param("boundary").empty())
        return InvalidArgument("WADO-RS " + UrlForMessages(url) +
                               ": the answer is not multipart/related but '" + type + "'");
      reader = std::make_unique<MultipartReader>(media->Param("boundary"), sink.Callbacks());
      return Status::Ok();
    };
    auto response = HttpGet(url, auth, options, [&](std::string_view piece) -> Status {
      if (reader) return reader->Feed(piece);
      if (error_body.size() < 300) error_body.append(piece.substr(0, 300));
      return Status::Ok();
    });
    Status st = response.status();
    if (st.ok() && response->status == 406 && accept == kAccept[0]) {
      out.as_stored = false;
      continue;
    }
    if (st.ok() && response->status != 200) {
      st = IoError("WADO-RS " + UrlForMessages(url) + " answered HTTP " +
                   std::to_string(response->status) + AuthHint(response->status) +
                   (error_body.empty() ? "" : ": " + error_body.substr(0, 300)));
    }
    if (st.ok() && !reader)
      st = InvalidArgument("WADO-RS " + UrlForMessages(url) + ": an empty answer");
    if (st.ok()) st = reader->Finish();
    if (!st.ok()) {
      sink.Abort();
      return st.WithContext(std::to_string(sink.files().size()) +
                            " instance(s) of the study were stored before the fault");
    }
    out.parts = sink.parts();
    out.files = sink.files();
    out.bytes = sink.bytes();
    return out;
  }
  return out;
}

}  // namespace dicomlake::net
