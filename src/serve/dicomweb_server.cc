#include "serve/dicomweb_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

#include "common/fs.h"
#include "common/hash.h"
#include "common/large_stack.h"
#include "common/time_util.h"
#include "dicom/values.h"
#include "net/http_listener.h"
#include "pipeline/frame_access.h"
#include "pixels/pixels.h"
#include "pixels/rendering.h"
#include "scan/archive.h"
#include "serve/bulk_data.h"
#include "serve/catalog.h"
#include "serve/dashboard.h"
#include "serve/qido.h"
#include "serve/viewer.h"
#include "serve/wado.h"

namespace dicomlake::serve {
namespace {

constexpr size_t kMaxResultsWithoutLimit = 10000;
constexpr uint32_t kThumbnailSize = 200;

// An error answer: the status for the kind of failure, the reason in words.
void Fail(httplib::Response& res, int status, const std::string& reason) {
  res.status = status;
  res.set_content(reason + "\n", "text/plain; charset=utf-8");
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnsupported:
      return 406;
    case StatusCode::kOutOfMemory:
      return 503;
    default:
      return 500;
  }
}

void Fail(httplib::Response& res, const Status& s) { Fail(res, HttpStatusFor(s), s.message()); }

// Sends a whole body with its Content-Length, an ETag (304 when the client has it), and gzip
// when asked for and worth it.
// Sends `body` with its ETag (the hash of the body when none is given), or 304 when the
// client's If-None-Match names it. A strong ETag names one representation (RFC 9110 §8.8.3):
// the gzip-encoded one gets its own, "<tag>-gzip".
void SendBody(const httplib::Request& req, httplib::Response& res, std::string body,
              const std::string& content_type, bool compressible, std::string etag = "") {
  if (etag.empty()) etag = "\"" + Xxh3Hex(body) + "\"";
  const bool gzip = compressible && body.size() > 1024 &&
                    req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
  if (gzip) etag.insert(etag.size() - 1, "-gzip");
  if (compressible) res.set_header("Vary", "Accept-Encoding");
  res.set_header("ETag", etag);
  res.set_header("Cache-Control", "no-cache");
  const std::string if_none_match = req.get_header_value("If-None-Match");
  if (if_none_match == "*" || if_none_match.find(etag) != std::string::npos) {
    res.status = 304;
    return;
  }
  if (gzip) {
    if (auto z = Gzip(body); z.ok()) {
      body = std::move(*z);
      res.set_header("Content-Encoding", "gzip");
    } else {
      etag.erase(etag.size() - 6, 5);
      res.headers.erase("ETag");
      res.set_header("ETag", etag);
    }
  }
  res.status = 200;
  res.set_content(std::move(body), content_type.c_str());
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::string current;
  for (char c : path) {
    if (c == '/') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

// Whether the host header is a plain host[:port] (it goes into Retrieve URLs).
bool PlainHost(const std::string& host) {
  if (host.empty() || host.size() > 255) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  });
}

// The bytes of a stored original.
Result<std::string> InstanceBytes(const CatalogInstance& in) {
  if (in.file.path.empty())
    return NotFound("the stored original of instance " + in.uid + " is not in the lake");
  int64_t size = in.file.size;
  if (size <= 0 && in.file.archive_member.empty()) {
    struct stat st {};
    if (::stat(in.file.path.c_str(), &st) != 0)
      return NotFound("the stored original of instance " + in.uid + " is missing");
    size = st.st_size;
  }
  DL_ASSIGN_OR_RETURN(std::vector<std::string> parts,
                      scan::ReadStoredRanges(in.file.path, in.file.archive_member, {{0, size}}));
  return std::move(parts.at(0));
}

// Whether the Accept header takes DICOM JSON.
bool AcceptsJson(const httplib::Request& req) {
  for (const AcceptedType& a : ParseAccept(req.get_header_value("Accept")))
    if (a.type == "*/*" || a.type == "application/dicom+json" || a.type == "application/json" ||
        a.type == "application/*")
      return true;
  return false;
}

// What pipeline/frame_access.h reads frames of.
pipeline::StoredInstance Stored(const CatalogInstance& in) {
  pipeline::StoredInstance stored;
  stored.sop_instance_uid = in.uid;
  stored.file_path = in.file.path;
  stored.archive_member = in.file.archive_member;
  stored.transfer_syntax_uid = in.file.transfer_syntax_uid;
  stored.frames = in.file.frames;
  return stored;
}

// A stored original as a file of its own: the plain file itself, or a temporary copy of an
// archive member (removed with this object).
class InstanceFile {
 public:
  static Result<std::unique_ptr<InstanceFile>> Open(const CatalogInstance& in) {
    auto f = std::unique_ptr<InstanceFile>(new InstanceFile());
    if (in.file.archive_member.empty() && !in.file.path.empty()) {
      f->path_ = in.file.path;
      return f;
    }
    DL_ASSIGN_OR_RETURN(std::string bytes, InstanceBytes(in));
    char temp[] = "/tmp/dicomlake-serve-XXXXXX";
    const int fd = mkstemp(temp);
    if (fd < 0) return ErrnoError(errno, "cannot make a temporary file");
    ::close(fd);
    f->path_ = temp;
    f->temporary_ = true;
    DL_RETURN_IF_ERROR(fs::WriteFile(f->path_, {bytes}));
    return f;
  }
  ~InstanceFile() {
    if (temporary_) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  InstanceFile() = default;
  std::string path_;
  bool temporary_ = false;
};

}  // namespace

struct DicomWebServer::Impl {
  std::unique_ptr<lake::Lake> lake;
  ServeOptions options;
  httplib::Server server;
  net::HttpListener listener;  // after the server: stops before it is destroyed

  std::mutex mutex;  // guards catalog, signature, last_check
  std::shared_ptr<const Catalog> catalog;
  std::string signature;
  std::chrono::steady_clock::time_point last_check;
  std::mutex reload_mutex;  // one reload at a time

  std::string Signature() const;
  std::shared_ptr<const Catalog> Current();
  std::string BaseUrl(const httplib::Request& req) const;

  void Route(const httplib::Request& req, httplib::Response& res);
  void DicomWeb(const std::vector<std::string>& s, const httplib::Request& req,
                httplib::Response& res);
  void Search(Level level, const std::string& study, const std::string& series,
              const httplib::Request& req, httplib::Response& res);
  void Retrieve(const std::string& study, const std::string& series, const std::string& instance,
                const httplib::Request& req, httplib::Response& res);
  void Metadata(const std::string& study, const std::string& series, const std::string& instance,
                const httplib::Request& req, httplib::Response& res);
  void Frames(const std::string& study, const std::string& series, const std::string& instance,
              const std::string& list, const httplib::Request& req, httplib::Response& res);
  void Rendered(const std::string& study, const std::string& series, const std::string& instance,
                const std::string& frame, bool thumbnail, const httplib::Request& req,
                httplib::Response& res);
  void Bulk(const std::string& study, const std::string& series, const std::string& instance,
            const std::string& offset, const std::string& length, const httplib::Request& req,
            httplib::Response& res);
};

// The versions of the tables the catalog is read from: their logs' folders change with every
// commit.
std::string DicomWebServer::Impl::Signature() const {
  std::string s;
  for (const auto& [house, table] :
       {std::pair{"silver", "ImagingMetastore"}, std::pair{"bronze", "ImagingDicom"},
        std::pair{"admin", "PurgedInstances"}}) {
    struct stat st {};
    const std::string log = fs::Join(lake->TablePath(house, table), "_delta_log");
    if (::stat(log.c_str(), &st) == 0)
      s += fmt::format("{}.{}:{};", st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size);
    else
      s += "-;";
  }
  return s;
}

std::shared_ptr<const Catalog> DicomWebServer::Impl::Current() {
  bool check = false;
  std::string known;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check >= std::chrono::seconds(options.reload_seconds)) {
      last_check = now;
      check = true;
      known = signature;
    }
    if (!check) return catalog;
  }
  const std::string now_signature = Signature();
  if (now_signature != known) {
    std::lock_guard<std::mutex> one(reload_mutex);
    CatalogOptions co;
    co.namespace_name = options.namespace_name;
    auto fresh = Catalog::Load(*lake, co);
    std::lock_guard<std::mutex> lock(mutex);
    if (fresh.ok()) {
      catalog = std::move(*fresh);
      signature = now_signature;
    }
  }
  std::lock_guard<std::mutex> lock(mutex);
  return catalog;
}

std::string DicomWebServer::Impl::BaseUrl(const httplib::Request& req) const {
  std::string host = req.get_header_value("Host");
  if (!PlainHost(host)) host = options.bind_address + ":" + std::to_string(options.port);
  return "http://" + host + "/dicom-web";
}

void DicomWebServer::Impl::Route(const httplib::Request& req, httplib::Response& res) {
  const std::vector<std::string> s = Segments(req.path);
  for (const std::string& segment : s) {
    if (segment == ".." || segment == "." || segment.find('\0') != std::string::npos ||
        segment.find('\\') != std::string::npos) {
      return Fail(res, 400, "the path may not hold '.', '..', backslashes or NUL");
    }
  }
  if (s.empty() || (s.size() == 1 && (s[0] == "index.html" || s[0] == "dashboard.json"))) {
    auto catalog = Current();
    if (!catalog) return Fail(res, 503, "the lake's tables could not be read");
    auto data = CollectDashboard(*lake, *catalog, options.title);
    if (!data.ok()) return Fail(res, data.status());
    if (!s.empty() && s[0] == "dashboard.json")
      return SendBody(req, res, data->dump(-1, ' ', false, Json::error_handler_t::replace),
                      "application/json", true);
    return SendBody(req, res, DashboardPage(*data, /*self_contained=*/false),
                    "text/html; charset=utf-8", false);
  }
  if (s[0] == "dashboard-assets" && s.size() == 2) {
    auto asset = DashboardAsset(s[1]);
    if (!asset.ok()) return Fail(res, asset.status());
    return SendBody(req, res, std::move(asset->body), asset->content_type, false);
  }
  if (s[0] == "viewer") {
    if (s.size() == 1 && req.path.back() != '/') {
      res.status = 301;
      res.set_header("Location", "/viewer/");
      return;
    }
    std::vector<std::string> rest(s.begin() + 1, s.end());
    auto file = ViewerFile(options.viewer_dir, rest);
    if (!file.ok()) return Fail(res, file.status());
    return SendBody(req, res, std::move(file->body), file->content_type, false, file->etag);
  }
  if (s[0] == "dicom-web") {
    return DicomWeb(std::vector<std::string>(s.begin() + 1, s.end()), req, res);
  }
  // The viewer's stylesheets and manifest name some of its files from the site's root
  // (/assets/..., fonts): those are its files too.
  if (!options.viewer_dir.empty()) {
    auto file = ViewerFile(options.viewer_dir, s, /*fall_back_to_index=*/false);
    if (file.ok())
      return SendBody(req, res, std::move(file->body), file->content_type, false, file->etag);
  }
  Fail(res, 404,
       "nothing here: the dashboard is at /, the viewer at /viewer/, DICOMweb at /dicom-web/");
}

void DicomWebServer::Impl::DicomWeb(const std::vector<std::string>& s, const httplib::Request& req,
                                    httplib::Response& res) {
  const size_t n = s.size();
  auto uid = [&](size_t k) -> bool {
    if (dicom::IsValidUid(s[k])) return true;
    Fail(res, 400, "not a valid UID: '" + s[k] + "'");
    return false;
  };
  auto not_found = [&] {
    Fail(res, 404,
         "no such DICOMweb resource: " + req.path +
             " (QIDO-RS: /dicom-web/studies, .../series, .../instances; WADO-RS: "
             ".../metadata, .../frames/N, .../rendered, .../thumbnail)");
  };
  if (n == 1 && s[0] == "series") return Search(Level::kSeries, "", "", req, res);
  if (n == 1 && s[0] == "instances") return Search(Level::kInstance, "", "", req, res);
  if (n == 0 || s[0] != "studies") return not_found();
  if (n == 1) return Search(Level::kStudy, "", "", req, res);
  if (!uid(1)) return;
  const std::string& study = s[1];
  if (n == 2) return Retrieve(study, "", "", req, res);
  if (n == 3 && s[2] == "metadata") return Metadata(study, "", "", req, res);
  if (n == 3 && (s[2] == "rendered" || s[2] == "thumbnail"))
    return Rendered(study, "", "", "", s[2] == "thumbnail", req, res);
  if (n == 3 && s[2] == "instances") return Search(Level::kInstance, study, "", req, res);
  if (s[2] != "series") return not_found();
  if (n == 3) return Search(Level::kSeries, study, "", req, res);
  if (!uid(3)) return;
  const std::string& series = s[3];
  if (n == 4) return Retrieve(study, series, "", req, res);
  if (n == 5 && s[4] == "metadata") return Metadata(study, series, "", req, res);
  if (n == 5 && (s[4] == "rendered" || s[4] == "thumbnail"))
    return Rendered(study, series, "", "", s[4] == "thumbnail", req, res);
  if (s[4] != "instances") return not_found();
  if (n == 5) return Search(Level::kInstance, study, series, req, res);
  if (!uid(5)) return;
  const std::string& instance = s[5];
  if (n == 6) return Retrieve(study, series, instance, req, res);
  if (n == 7 && s[6] == "metadata") return Metadata(study, series, instance, req, res);
  if (n == 7 && (s[6] == "rendered" || s[6] == "thumbnail"))
    return Rendered(study, series, instance, "", s[6] == "thumbnail", req, res);
  if (n == 8 && s[6] == "frames") return Frames(study, series, instance, s[7], req, res);
  if (n == 9 && s[6] == "frames" && (s[8] == "rendered" || s[8] == "thumbnail"))
    return Rendered(study, series, instance, s[7], s[8] == "thumbnail", req, res);
  if (n == 9 && s[6] == "bulk" && s[7] == "tag") {
    // Encapsulated Pixel Data has no one byte range: its bulk data is its frames.
    auto catalog = Current();
    const CatalogInstance* in = catalog ? catalog->FindInstance(study, series, instance) : nullptr;
    if (s[8] == "7FE00010" && in != nullptr) {
      // Without a frame index (a deflated file), the count the data set gives.
      uint32_t count = in->file.FrameCount();
      if (count == 0) {
        const std::string& frames = in->attributes.First("00280008");
        count = static_cast<uint32_t>(std::max(1L, std::atol(frames.c_str())));
      }
      std::string all;
      for (uint32_t k = 1; k <= count; ++k) all += (k > 1 ? "," : "") + std::to_string(k);
      return Frames(study, series, instance, all, req, res);
    }
    return Fail(res, 404,
                "this bulk data value has no byte range in the stored original (a deflated "
                "file): retrieve the instance instead");
  }
  if (n == 9 && s[6] == "bulk") return Bulk(study, series, instance, s[7], s[8], req, res);
  not_found();
}

void DicomWebServer::Impl::Search(Level level, const std::string& study, const std::string& series,
                                  const httplib::Request& req, httplib::Response& res) {
  if (!AcceptsJson(req))
    return Fail(res, 406, "QIDO-RS answers application/dicom+json only (not XML)");
  std::vector<std::pair<std::string, std::string>> params(req.params.begin(), req.params.end());
  auto query = ParseQidoQuery(level, params);
  if (!query.ok()) return Fail(res, query.status());
  auto catalog = Current();
  if (!catalog) return Fail(res, 503, "the lake's tables could not be read");
  const bool unlimited = query->limit < 0;
  if (unlimited) query->limit = static_cast<int64_t>(kMaxResultsWithoutLimit);
  auto found = catalog->Search(*query, study, series, BaseUrl(req));
  if (!found.ok()) return Fail(res, found.status());
  for (const std::string& w : found->warnings) res.set_header("Warning", w);
  if (unlimited && found->total > kMaxResultsWithoutLimit + static_cast<size_t>(query->offset)) {
    res.set_header("Warning", fmt::format("299 dicomlake \"There are {} more results: ask for "
                                          "them with limit and offset\"",
                                          found->total - kMaxResultsWithoutLimit -
                                              static_cast<size_t>(query->offset)));
  }
  Json array = Json::array();
  for (Json& m : found->matches) array.push_back(std::move(m));
  SendBody(req, res, array.dump(-1, ' ', false, Json::error_handler_t::replace),
           "application/dicom+json", true);
}

void DicomWebServer::Impl::Retrieve(const std::string& study, const std::string& series,
                                    const std::string& instance, const httplib::Request& req,
                                    httplib::Response& res) {
  auto catalog = Current();
  if (!catalog) return Fail(res, 503, "the lake's tables could not be read");
  auto selected = catalog->Select(study, series, instance);
  if (!selected.ok()) return Fail(res, selected.status());
  const std::string accept = req.get_header_value("Accept");
  // Each instance's transfer syntax, decided before anything is sent.
  std::vector<std::string> syntaxes;
  for (const CatalogInstance* in : *selected) {
    auto syntax = ChooseInstanceSyntax(accept, in->file.transfer_syntax_uid);
    if (!syntax.ok()) return Fail(res, syntax.status());
    syntaxes.push_back(*syntax);
  }
  auto one = [catalog, base = BaseUrl(req)](const CatalogInstance& in, const std::string& syntax,
                                            const MultipartWriter& writer) -> Result<std::string> {
    std::string bytes;
    if (syntax == in.file.transfer_syntax_uid) {
      DL_ASSIGN_OR_RETURN(bytes, InstanceBytes(in));
    } else {
      DL_ASSIGN_OR_RETURN(auto file, InstanceFile::Open(in));
      DL_ASSIGN_OR_RETURN(bytes, pixels::TranscodeFile(file->path(), syntax));
    }
    return writer.PartHeader("application/dicom; transfer-syntax=" + syntax,
                             catalog->InstanceUrl(in, base)) +
           bytes;
  };
  auto writer = std::make_shared<MultipartWriter>();
  if (selected->size() == 1) {
    auto part = one(*selected->front(), syntaxes.front(), *writer);
    if (!part.ok()) return Fail(res, part.status());
    res.status = 200;
    res.set_content(*part + writer->Close(), writer->ContentType("application/dicom").c_str());
    return;
  }
  // A series or study: streamed one instance at a time, so memory holds one at most.
  auto instances = std::make_shared<std::vector<const CatalogInstance*>>(std::move(*selected));
  auto next = std::make_shared<size_t>(0);
  res.status = 200;
  res.set_chunked_content_provider(
      writer->ContentType("application/dicom"),
      [instances, next, writer, one, syntaxes](size_t, httplib::DataSink& sink) {
        if (*next >= instances->size()) {
          const std::string end = writer->Close();
          sink.write(end.data(), end.size());
          sink.done();
          return true;
        }
        const size_t k = (*next)++;
        auto part = one(*(*instances)[k], syntaxes[k], *writer);
        if (!part.ok()) return false;  // the response ends short: the client sees an error
        return sink.write(part->data(), part->size());
      });
}

void DicomWebServer::Impl::Metadata(const std::string& study, const std::string& series,
                                    const std::string& instance, const httplib::Request& req,
                                    httplib::Response& res) {
  if (!AcceptsJson(req))
    return Fail(res, 406, "metadata is answered as application/dicom+json only");
  auto catalog = Current();
  if (!catalog) return Fail(res, 503, "the lake's tables could not be read");
  auto selected = catalog->Select(study, series, instance);
  if (!selected.ok()) return Fail(res, selected.status());
  auto sets = catalog->DataSets(*selected);
  if (!sets.ok()) return Fail(res, sets.status());
  const std::string base = BaseUrl(req);
  std::string body = "[";
  for (size_t k = 0; k < sets->size(); ++k) {
    if (k > 0) body += ",";
    body += RewriteBulkDataUris((*sets)[k], catalog->InstanceUrl(*(*selected)[k], base));
  }
  body += "]";
  SendBody(req, res, std::move(body), "application/dicom+json", true);
}

void DicomWebServer::Impl::Frames(const std::string& study, const std::string& series,
                                  const std::string& instance, const std::string& list,
                                  const httplib::Request& req, httplib::Response& res) {
  auto numbers = ParseFrameList(list);
  if (!numbers.ok()) return Fail(res, numbers.status());
  auto catalog = Current();
  if (!catalog) return Fail(res, 503, "the lake's tables could not be read");
  auto selected = catalog->Select(study, series, instance);
  if (!selected.ok()) return Fail(res, selected.status());
  const CatalogInstance& in = *selected->front();
  auto encoding = ChooseFrameEncoding(req.get_header_value("Accept"), in.file.transfer_syntax_uid);
  if (!encoding.ok()) return Fail(res, encoding.status());

  // The wanted frames read once each, in ascending order, then answered in the order asked.
  std::vector<uint32_t> unique = *numbers;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  std::map<uint32_t, std::string> frames;
  if (in.file.frames && !encoding->decode) {
    auto read = pipeline::ReadFrames(Stored(in), unique);
    if (!read.ok()) return Fail(res, read.status());
    for (size_t k = 0; k < unique.size(); ++k) frames[unique[k]] = std::move((*read)[k]);
  } else {
    // Decoded: from the frame's bytes when indexed, else from the whole file.
    std::unique_ptr<InstanceFile> file;
    std::unique_ptr<pixels::PixelReader> reader;
    Status status;
    Status ran = RunOnLargeStack([&] {
      status = [&]() -> Status {
        if (in.file.frames) {
          auto sets = catalog->DataSets({&in});
          if (!sets.ok()) return sets.status();
          DL_ASSIGN_OR_RETURN(pixels::PixelFormat format,
                              pixels::PixelFormatFromDicomJson(sets->front()));
          DL_ASSIGN_OR_RETURN(std::vector<std::string> raw,
                              pipeline::ReadFrames(Stored(in), unique));
          for (size_t k = 0; k < unique.size(); ++k) {
            pixels::PixelFormat f = format;
            DL_ASSIGN_OR_RETURN(pixels::Frame decoded,
                                pixels::DecodeFrameBytes(&f, std::move(raw[k])));
            frames[unique[k]].assign(decoded.bytes.begin(), decoded.bytes.end());
          }
          return Status::Ok();
        }
        DL_ASSIGN_OR_RETURN(file, InstanceFile::Open(in));
        DL_ASSIGN_OR_RETURN(reader, pixels::PixelReader::Open(file->path()));
        for (uint32_t n : unique) {
          if (n > reader->format().frames)
            return InvalidArgument(fmt::format("instance {} has no frame {} (it has {})", in.uid, n,
                                               reader->format().frames));
          DL_ASSIGN_OR_RETURN(pixels::Frame decoded, reader->ReadFrame(n - 1));
          frames[n].assign(decoded.bytes.begin(), decoded.bytes.end());
        }
        return Status::Ok();
      }();
    });
    if (!ran.ok()) return Fail(res, ran);
    if (!status.ok()) return Fail(res, status);
  }
  MultipartWriter writer;
  const std::string part_type =
      encoding->media_type + "; transfer-syntax=" + encoding->transfer_syntax;
  const std::string url = catalog->InstanceUrl(in, BaseUrl(req));
  std::string body;
  for (uint32_t n : *numbers)
    body += writer.PartHeader(part_type, url + "/frames/" + std::to_string(n)) + frames[n];
  body += writer.Close();
  res.status = 200;
  res.set_content(std::move(body), writer.ContentType(encoding->media_type).c_str());
}

void DicomWebServer::Impl::Rendered(const std::string& study, const std::string& series,
                                    const std::string& instance, const std::string& frame,
                                    bool thumbnail, const httplib::Request& req,
                                    httplib::Response& res) {
  pixels::RenderOptions o;
  bool acceptable = false;
  for (const AcceptedType& a : ParseAccept(req.get_header_value("Accept"))) {
    if (a.type == "image/png" || a.type == "image/jpeg") {
      o.media_type = a.type;
      acceptable = true;
      break;
    }
    if (a.type == "*/*" || a.type == "image/*") {
      acceptable = true;
      break;
    }
  }
  if (!acceptable) return Fail(res, 406, "rendered images are image/jpeg or image/png");
  if (thumbnail) o.max_columns = o.max_rows = kThumbnailSize;
  if (req.has_param("viewport")) {
    unsigned c = 0, r = 0;
    if (std::sscanf(req.get_param_value("viewport").c_str(), "%u,%u", &c, &r) != 2 || c == 0 ||
        r == 0 || c > 16384 || r > 16384)
      return Fail(res, 400, "viewport is columns,rows");
    o.max_columns = c;
    o.max_rows = r;
  }
  if (req.has_param("window")) {
    double center = 0, width = 0;
    if (std::sscanf(req.get_param_value("window").c_str(), "%lf,%lf", &center, &width) != 2 ||
        width <= 0)
      return Fail(res, 400, "window is center,width[,function] with a width above 0");
    o.has_window = true;
    o.window_center = center;
    o.window_width = width;
  }
  if (req.has_param("quality")) {
    o.quality = std::atoi(req.get_param_value("quality").c_str());
    if (o.quality < 1 || o.quality > 100) return Fail(res, 400, "quality is 1 to 100");
  }
  uint32_t index = 0;
  if (!frame.empty()) {
    auto numbers = ParseFrameList(frame, 1);
    if (!numbers.ok()) return Fail(res, 400, "one frame is rendered at a time");
    index = numbers->front() - 1;
  }
  auto catalog = Current();
  if (!catalog) return Fail(res, 503, "the lake's tables could not be read");
  auto selected = catalog->Select(study, series, instance);
  if (!selected.ok()) return Fail(res, selected.status());
  // A study's or series' image: its middle instance (the first of a study's series).
  const CatalogInstance* in = selected->front();
  if (instance.empty() && !series.empty()) in = (*selected)[selected->size() / 2];
  if (frame.empty() && in->file.FrameCount() > 1 && thumbnail) index = in->file.FrameCount() / 2;
  auto file = InstanceFile::Open(*in);
  if (!file.ok()) return Fail(res, file.status());
  auto image = pixels::RenderFrame((*file)->path(), index, o);
  if (!image.ok()) return Fail(res, image.status());
  SendBody(req, res, std::move(*image), o.media_type, false);
}

void DicomWebServer::Impl::Bulk(const std::string& study, const std::string& series,
                                const std::string& instance, const std::string& offset,
                                const std::string& length, const httplib::Request& req,
                                httplib::Response& res) {
  auto range = ParseBulkRange(offset, length);
  if (!range) return Fail(res, 400, "a bulk data URL ends with /bulk/<offset>/<length>");
  auto catalog = Current();
  if (!catalog) return Fail(res, 503, "the lake's tables could not be read");
  auto selected = catalog->Select(study, series, instance);
  if (!selected.ok()) return Fail(res, selected.status());
  const CatalogInstance& in = *selected->front();
  if (in.file.size > 0 && range->offset + range->length > in.file.size)
    return Fail(res, 404, "the range is beyond the end of the stored original");
  if (range->length > (int64_t{1} << 31))
    return Fail(res, 400, "a bulk data value above 2 GiB is retrieved with the instance");
  auto bytes = scan::ReadStoredRanges(in.file.path, in.file.archive_member,
                                      {{range->offset, range->length}});
  if (!bytes.ok()) return Fail(res, bytes.status());
  bool multipart = false, single = false;
  for (const AcceptedType& a : ParseAccept(req.get_header_value("Accept"))) {
    if (a.type == "*/*" || AcceptsPart(a, "application/octet-stream")) {
      (a.type == "application/octet-stream" ? single : multipart) = true;
      break;
    }
  }
  if (!multipart && !single) return Fail(res, 406, "bulk data is application/octet-stream");
  if (single)
    return SendBody(req, res, std::move(bytes->front()), "application/octet-stream", false);
  MultipartWriter writer;
  std::string body =
      writer.PartHeader("application/octet-stream") + bytes->front() + writer.Close();
  res.status = 200;
  res.set_content(std::move(body), writer.ContentType("application/octet-stream").c_str());
}

DicomWebServer::DicomWebServer() : impl_(std::make_unique<Impl>()) {}

DicomWebServer::~DicomWebServer() { Stop(); }

Status DicomWebServer::Start(const lake::Lake& lake, const ServeOptions& options) {
  impl_->lake = std::make_unique<lake::Lake>(lake);
  impl_->options = options;
  if (impl_->options.title.empty()) {
    const std::string& root = lake.root();
    impl_->options.title = root.substr(root.rfind('/') + 1);
  }
  CatalogOptions co;
  co.namespace_name = options.namespace_name;
  DL_ASSIGN_OR_RETURN(impl_->catalog, Catalog::Load(lake, co));
  impl_->signature = impl_->Signature();
  impl_->last_check = std::chrono::steady_clock::now();

  httplib::Server& s = impl_->server;
  const int threads = std::max(1, options.max_requests);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(64 * 1024);
  s.set_read_timeout(options.timeout_seconds);
  s.set_write_timeout(options.timeout_seconds);
  s.set_keep_alive_timeout(std::min(5, options.timeout_seconds));
  s.set_default_headers({{"Access-Control-Allow-Origin", "*"},
                         {"Access-Control-Expose-Headers", "ETag, Warning, Content-Location"},
                         {"X-Content-Type-Options", "nosniff"}});
  s.Get(R"(/.*)", [this](const httplib::Request& q, httplib::Response& r) { impl_->Route(q, r); });
  s.Options(R"(/.*)", [](const httplib::Request& q, httplib::Response& r) {
    r.status = 204;
    r.set_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    const std::string asked = q.get_header_value("Access-Control-Request-Headers");
    r.set_header("Access-Control-Allow-Headers", asked.empty() ? "*" : asked);
    r.set_header("Access-Control-Max-Age", "600");
  });
  auto read_only = [](const httplib::Request&, httplib::Response& r) {
    r.set_header("Allow", "GET, HEAD, OPTIONS");
    Fail(r, 405, "dicomlake serve is read-only (send instances to dicomlake listen --http)");
  };
  s.Post(R"(/.*)", read_only);
  s.Put(R"(/.*)", read_only);
  s.Patch(R"(/.*)", read_only);
  s.Delete(R"(/.*)", read_only);
  s.set_exception_handler([](const httplib::Request&, httplib::Response& r, std::exception_ptr) {
    Fail(r, 500, "internal error");
  });
  if (options.on_request) {
    s.set_logger([this](const httplib::Request& q, const httplib::Response& r) {
      impl_->options.on_request(q.method, q.path, r.status, 0);
    });
  }
  DL_ASSIGN_OR_RETURN(port_,
                      impl_->listener.Start(s, options.bind_address, options.port, "DICOMweb"));
  impl_->options.port = port_;
  return Status::Ok();
}

void DicomWebServer::Stop() { impl_->listener.Stop(); }

}  // namespace dicomlake::serve
