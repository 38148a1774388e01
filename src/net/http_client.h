// A small HTTP client over libcurl for pulling from DICOMweb servers: GET with headers, the body
// streamed to a callback, redirects followed, HTTPS verified against the system's CAs, basic
// credentials from a netrc file or bearer tokens. Credentials never appear in messages or logs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace dicomlake::net {

struct HttpAuth {
  std::string bearer_token;    // "Authorization: Bearer ..." when set
  std::string netrc_file;      // basic credentials per host from this netrc file when set
  std::string user, password;  // basic credentials when set (and no token)
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string Header(const std::string& lower_name) const;
};

struct HttpRequestOptions {
  std::vector<std::string> headers;  // "Name: value"
  int connect_timeout_seconds = 30;
  int low_speed_seconds = 120;  // abort when under 1 byte/s this long
  // Called once the status and headers of the final response are known, before its first body
  // byte (not called for a response without body); a failure aborts the transfer.
  std::function<Status(const HttpResponse&)> on_headers;
};

// GETs `url`; the body goes to `on_body` in pieces as it arrives (a failing callback aborts the
// transfer and its Status is returned). A transport failure is kIoError naming the URL (without
// credentials); any HTTP status is a success here, for the caller to judge. Thread-safe (one
// libcurl handle per call).
Result<HttpResponse> HttpGet(const std::string& url, const HttpAuth& auth,
                             const HttpRequestOptions& options,
                             const std::function<Status(std::string_view)>& on_body);

// `url` as messages may show it: without user information (credentials) and without a query.
std::string UrlForMessages(const std::string& url);

// GET into a string, for small answers (QIDO-RS); bodies past `max_bytes` are an error.
Result<std::pair<HttpResponse, std::string>> HttpGetText(const std::string& url,
                                                         const HttpAuth& auth,
                                                         const HttpRequestOptions& options,
                                                         size_t max_bytes = size_t{256} << 20);

}  // namespace dicomlake::net
