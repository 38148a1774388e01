#include "net/http_listener.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>

namespace dicomlake::net {

namespace {

void ExclusiveSocketOptions(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace

Result<int> HttpListener::Start(httplib::Server& server, const std::string& address, int port,
                                const std::string& what) {
  if (running()) return Internal("the " + what + " server is already listening");
  server.set_socket_options(ExclusiveSocketOptions);
  if (port == 0) {
    port = server.bind_to_any_port(address);
    if (port < 0) return IoError("cannot listen on " + address + " (" + what + ")");
  } else if (!server.bind_to_port(address, port)) {
    return IoError("cannot listen on " + address + ":" + std::to_string(port) + " (" + what +
                   "): is the port taken?");
  }
  server_ = &server;
  auto ended = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([&server, ended] {
    server.listen_after_bind();
    ended->store(true);
  });
  // Returns once the accept loop runs: cpp-httplib's stop() does nothing to a server that is not
  // running yet, so a Stop() right after Start() would otherwise wait forever.
  while (!server.is_running() && !ended->load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port;
}

void HttpListener::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();  // closes the listening socket; the thread pool finishes its requests
  thread_.join();
}

}  // namespace dicomlake::net
