// STOW-RS (PS3.18 §10.5): an HTTP server taking `POST /studies` and `POST /studies/{uid}` (also
// under `/dicom-web`) with `multipart/related; type="application/dicom"` bodies. Each part is
// streamed to a temporary file in the spool (net/spool.h), checked (a DICOM file with its SOP
// Class, SOP Instance and Study Instance UIDs; the study of the URL when one is given) and made
// durable before the response names it stored. The response is DICOM JSON: 200 when every part
// was stored, 202 when some failed (Failed SOP Sequence with a Failure Reason, the reason in
// words in a private attribute and an HTTP Warning header), 409 when none was stored; 415 for a
// body that is not multipart/related of application/dicom, 400 for a malformed one (the parts
// stored before the fault stay stored), 413 past the size limit. Storing the same instance twice
// is harmless: the ingest recognises the second copy.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "net/dicom_parts.h"
#include "net/storage_receiver.h"

namespace dicomlake::net {

struct StowOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8080;       // 0: any free port (see StowServer::port())
  std::string spool;     // files go to <spool>/STOW-RS/<YYYYMMDD>/
  int max_requests = 8;  // requests served at once; more wait for a thread
  int64_t max_request_bytes = int64_t{4} << 30;
  int timeout_seconds = 60;  // a client silent this long is dropped
};

// The answer to a STOW-RS request, for the pure part of the server (tested alone).
struct StowResponse {
  int http_status = 0;
  std::string body;                   // DICOM JSON
  std::vector<std::string> warnings;  // HTTP Warning header values
};
// `base_url` is this server's DICOMweb root ("http://host:port/dicom-web"); `study` the study of
// the request's URL ("" for POST /studies).
StowResponse BuildStowResponse(const std::vector<StoredPart>& parts, const std::string& base_url,
                               const std::string& study);

class StowServer {
 public:
  StowServer();
  ~StowServer();
  StowServer(const StowServer&) = delete;
  StowServer& operator=(const StowServer&) = delete;

  // Binds and serves on threads of its own; `on_request` runs on a server thread after each
  // request. Fails when the port cannot be bound.
  Status Start(const StowOptions& options, AssociationCallback on_request);
  // Stops accepting, lets the requests in progress finish, joins.
  void Stop();
  int port() const { return port_; }
  int active() const;  // requests in progress

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace dicomlake::net
