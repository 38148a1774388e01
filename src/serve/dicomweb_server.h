// `dicomlake serve`: the lake over HTTP, read-only (docs/serve.md).
//
//   /dicom-web/...   DICOMweb (PS3.18): QIDO-RS searches of studies, series and instances
//                    (serve/catalog.h), WADO-RS retrieval of the stored originals, metadata
//                    from the stored DICOM JSON, frames through the frame index, rendered images
//                    and thumbnails, bulk data.
//   /viewer/...      the OHIF viewer (its prebuilt dist/, configured to /dicom-web)
//   /                the dashboard of the lake (serve/dashboard.h)
//
// HTTP rules: GET, HEAD and OPTIONS only (405 otherwise, 413 for a request body); CORS open to
// any origin (a viewer on another host may read it); ETag and If-None-Match on every answer that
// is not streamed; gzip for JSON when the client accepts it; a bounded number of requests at
// once and a time limit per request; a malformed request is a 400 with the reason, something the
// lake does not have a 404 naming it, an Accept the server cannot satisfy a 406. No file outside
// the lake's stored originals and the viewer's folder is reachable. The tables are re-read when
// they get a new version (checked at most every `reload_seconds`).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "lake/lake.h"

namespace dicomlake::serve {

struct ServeOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8042;             // 0: any free port (DicomWebServer::port())
  std::string namespace_name;  // serve only this sourceSystem ("": all)
  int max_requests = 16;       // requests served at once; more wait
  int timeout_seconds = 60;    // a client silent this long is dropped
  int reload_seconds = 2;      // how often the tables' versions are checked
  std::string viewer_dir;      // OHIF's dist/ ("": /viewer/ answers 404 saying so)
  std::string title;           // the dashboard's title ("": the lake's folder name)
  // Called for each request answered (method, path, status, microseconds), e.g. to log.
  std::function<void(const std::string&, const std::string&, int, int64_t)> on_request;
};

class DicomWebServer {
 public:
  DicomWebServer();
  ~DicomWebServer();
  DicomWebServer(const DicomWebServer&) = delete;
  DicomWebServer& operator=(const DicomWebServer&) = delete;

  // Loads the catalog, binds and serves on threads of its own. Fails when the lake cannot be
  // read or the port cannot be bound.
  Status Start(const lake::Lake& lake, const ServeOptions& options);
  // Stops accepting, lets the requests in progress finish, joins.
  void Stop();
  int port() const { return port_; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace dicomlake::serve
