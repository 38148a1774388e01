// `dicomlake listen LAKE --aet AET --port N [--http N]`: a DICOM storage receiver (C-STORE SCP,
// C-ECHO; STOW-RS over HTTP) whose instances go into the lake (pipeline/receive_service.h;
// docs/network.md). Runs until SIGTERM or SIGINT, then lets the associations in progress finish and
// ingests what they stored.
#include <csignal>
#include <cstdio>

#include "cli.h"
#include "common/fs.h"
#include "pipeline/receive_service.h"

namespace dicomlake::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) { g_stop.store(true); }

}  // namespace

void RegisterListen(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    pipeline::ListenOptions options;
    std::string port_file;
    int64_t max_request_mb = 4096;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    pipeline::ListenOptions options = args->options;
    options.max_request_bytes = args->max_request_mb << 20;
    const bool quiet = global.quiet;
    options.say = [quiet](const std::string& line) {
      if (!quiet) std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
    const std::string port_file = args->port_file;
    const std::string bind = options.receiver.bind_address;
    const std::string aet = options.receiver.ae_title;
    options.listening = [quiet, port_file, bind, aet](int port, int http_port) {
      if (!port_file.empty()) {
        (void)fs::WriteFileAtomic(
            port_file, std::to_string(port) + "\n" +
                           (http_port >= 0 ? std::to_string(http_port) + "\n" : std::string()));
      }
      if (!quiet) {
        std::printf("listening as %s on %s:%d (C-STORE, C-ECHO)", aet.c_str(), bind.c_str(), port);
        if (http_port >= 0)
          std::printf(" and http://%s:%d/dicom-web/studies (STOW-RS)", bind.c_str(), http_port);
        std::printf("; stop with Ctrl-C or SIGTERM\n");
      }
      std::fflush(stdout);
    };
    g_stop.store(false);
    std::signal(SIGTERM, OnStopSignal);
    std::signal(SIGINT, OnStopSignal);
    std::signal(SIGPIPE, SIG_IGN);
    DL_ASSIGN_OR_RETURN(
        pipeline::ListenSummary s,
        pipeline::RunListen(*session.lake, *session.engine, session.config, options, g_stop));
    if (!quiet) {
      std::printf(
          "stopped: %lld association(s), %lld refused; %lld instance(s) received, %lld "
          "failed; %lld batch(es), %lld instance(s) added to bronze\n",
          static_cast<long long>(s.associations), static_cast<long long>(s.refused),
          static_cast<long long>(s.instances_received), static_cast<long long>(s.instances_failed),
          static_cast<long long>(s.batches), static_cast<long long>(s.instances_added));
    }
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(app, "listen",
                             "Receive DICOM instances over the network (C-STORE SCP, C-ECHO, and "
                             "STOW-RS with --http) into the lake, until SIGTERM or Ctrl-C",
                             global, exit_code, body);
  net::ReceiverOptions& r = args->options.receiver;
  cmd->add_option("--aet", r.ae_title, "The AE title to answer as")->capture_default_str();
  cmd->add_option("--port", r.port, "TCP port (0: any free port)")->capture_default_str();
  cmd->add_option("--bind", r.bind_address, "IPv4 address to listen on (0.0.0.0: every interface)")
      ->capture_default_str();
  cmd->add_option("--namespace", args->options.namespace_name,
                  "Namespace of the received instances (default: global.default_namespace)");
  cmd->add_option("--allow", r.allowed_callers,
                  "A calling AE title allowed to send (AET, or AET@IP); repeat; default: any");
  cmd->add_option("--max-associations", r.max_associations, "Associations at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--quiet-seconds", args->options.quiet_seconds,
                  "Ingest once no association has been active this long")
      ->capture_default_str();
  cmd->add_option("--max-wait-seconds", args->options.max_wait_seconds,
                  "Ingest files that have waited this long even while associations go on")
      ->capture_default_str();
  cmd->add_option("--http", args->options.http_port,
                  "Also take STOW-RS on this HTTP port (POST /dicom-web/studies; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--max-request-mb", args->max_request_mb,
                  "Largest STOW-RS request body taken, in MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--port-file", args->port_file,
                  "Write the port listened on to this file (and the HTTP port on a second line)");
}

}  // namespace dicomlake::cli
