#include "net/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <mutex>

namespace dicomlake::net {
namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  CURL* curl;
  const HttpRequestOptions* options;
  const std::function<Status(std::string_view)>* on_body;
  HttpResponse* response;
  bool body_started = false;
  Status failure;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (!t->body_started) {
    t->body_started = true;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->response->status);
    if (t->options->on_headers) {
      t->failure = t->options->on_headers(*t->response);
      if (!t->failure.ok()) return 0;
    }
  }
  if (*t->on_body) {
    t->failure = (*t->on_body)(std::string_view(data, bytes));
    if (!t->failure.ok()) return 0;  // aborts the transfer
  }
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) t->response->headers.clear();  // a redirect's next response
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    t->response->headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

}  // namespace

std::string UrlForMessages(const std::string& url) {
  std::string out = url.substr(0, url.find('?'));
  const size_t scheme = out.find("://");
  const size_t at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme)
    out = out.substr(0, scheme + 3) + out.substr(at + 1);
  return out;
}

std::string HttpResponse::Header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

Result<HttpResponse> HttpGet(const std::string& url, const HttpAuth& auth,
                             const HttpRequestOptions& options,
                             const std::function<Status(std::string_view)>& on_body) {
  InitCurlOnce();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Internal("libcurl could not start a transfer");
  HttpResponse response;
  Transfer transfer{curl, &options, &on_body, &response};
  curl_slist* headers = nullptr;
  for (const auto& h : options.headers) headers = curl_slist_append(headers, h.c_str());
  std::string bearer;
  if (!auth.bearer_token.empty()) {
    bearer = "Authorization: Bearer " + auth.bearer_token;
    headers = curl_slist_append(headers, bearer.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(options.connect_timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.low_speed_seconds));
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate when the server offers
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (auth.bearer_token.empty()) {
    if (!auth.user.empty()) {
      curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(curl, CURLOPT_USERNAME, auth.user.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, auth.password.c_str());
    } else if (!auth.netrc_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_REQUIRED));
      curl_easy_setopt(curl, CURLOPT_NETRC_FILE, auth.netrc_file.c_str());
    }
  }
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (!transfer.failure.ok()) return transfer.failure;
  if (rc != CURLE_OK) return IoError("GET " + UrlForMessages(url) + ": " + curl_easy_strerror(rc));
  return response;
}

Result<std::pair<HttpResponse, std::string>> HttpGetText(const std::string& url,
                                                         const HttpAuth& auth,
                                                         const HttpRequestOptions& options,
                                                         size_t max_bytes) {
  std::string body;
  auto response = HttpGet(url, auth, options, [&](std::string_view piece) {
    if (body.size() + piece.size() > max_bytes)
      return InvalidArgument("GET " + UrlForMessages(url) + ": the answer is larger than " +
                             std::to_string(max_bytes >> 20) + " MiB");
    body.append(piece);
    return Status::Ok();
  });
  if (!response.ok()) return response.status();
  return std::make_pair(std::move(*response), std::move(body));
}

}  // namespace dicomlake::net
