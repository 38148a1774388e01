// The listening half shared by dicomlake's HTTP servers (`listen --http`'s STOW-RS, `serve`):
// binds a configured cpp-httplib server and runs its accept loop on a thread of its own.
//
// The bind is exclusive. cpp-httplib's default socket options set SO_REUSEPORT, with which a
// second server started on a port already in use binds too and the kernel splits the
// connections between the two; here only SO_REUSEADDR is set (a restart binds again at once
// while old connections linger in TIME_WAIT), so a taken port is an error naming it.
#pragma once

#include <string>
#include <thread>

#include "common/status.h"

namespace httplib {
class Server;
}

namespace dicomlake::net {

class HttpListener {
 public:
  HttpListener() = default;
  ~HttpListener() { Stop(); }
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds `server` (its routes and limits already set; it must outlive this listener or its
  // Stop()) to `address`:`port`, port 0 meaning any free port, and starts serving. Returns the
  // port bound. `what` names the server in errors ("HTTP", "DICOMweb").
  Result<int> Start(httplib::Server& server, const std::string& address, int port,
                    const std::string& what);
  // Closes the listening socket, lets the requests in progress finish, joins. Idempotent.
  void Stop();
  bool running() const { return thread_.joinable(); }

 private:
  httplib::Server* server_ = nullptr;
  std::thread thread_;
};

}  // namespace dicomlake::net
