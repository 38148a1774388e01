// `dicomlake serve LAKE`: the lake over HTTP — DICOMweb, the OHIF viewer, the dashboard
// (serve/dicomweb_server.h; docs/serve.md). Runs until SIGTERM or Ctrl-C.
// `dicomlake report LAKE --to FILE`: the dashboard as one self-contained HTML file.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli.h"
#include "common/fs.h"
#include "serve/catalog.h"
#include "serve/dashboard.h"
#include "serve/dicomweb_server.h"
#include "serve/viewer.h"

namespace dicomlake::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnServeStopSignal(int) { g_stop.store(true); }

}  // namespace

void RegisterServe(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    serve::ServeOptions options;
    std::string viewer_dir;
    std::string port_file;
    bool log = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    serve::ServeOptions options = args->options;
    options.viewer_dir = args->viewer_dir.empty() ? serve::DefaultViewerDir() : args->viewer_dir;
    if (args->log) {
      options.on_request = [](const std::string& method, const std::string& path, int status,
                              int64_t) {
        std::printf("%s %s %d\n", method.c_str(), path.c_str(), status);
        std::fflush(stdout);
      };
    }
    g_stop.store(false);
    std::signal(SIGTERM, OnServeStopSignal);
    std::signal(SIGINT, OnServeStopSignal);
    std::signal(SIGPIPE, SIG_IGN);
    serve::DicomWebServer server;
    DL_RETURN_IF_ERROR(server.Start(*session.lake, options));
    if (!args->port_file.empty())
      DL_RETURN_IF_ERROR(
          fs::WriteFileAtomic(args->port_file, std::to_string(server.port()) + "\n"));
    if (!global.quiet) {
      const std::string root =
          "http://" + options.bind_address + ":" + std::to_string(server.port());
      std::printf(
          "serving %s\n  dashboard  %s/\n  viewer     %s/viewer/%s\n  DICOMweb   %s/dicom-web/\n"
          "stop with Ctrl-C or SIGTERM\n",
          session.lake->root().c_str(), root.c_str(), root.c_str(),
          options.viewer_dir.empty() ? "  (not installed: run scripts/setup)" : "", root.c_str());
      std::fflush(stdout);
    }
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.Stop();
    return kExitOk;
  };
  auto* cmd =
      AddLakeCommand(app, "serve",
                     "Serve the lake over HTTP: DICOMweb (QIDO-RS, WADO-RS) at /dicom-web/, "
                     "the OHIF viewer at /viewer/, a dashboard at /; until Ctrl-C",
                     global, exit_code, body);
  serve::ServeOptions& o = args->options;
  cmd->add_option("--bind", o.bind_address,
                  "Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface)")
      ->capture_default_str();
  cmd->add_option("--port", o.port, "TCP port (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--namespace", o.namespace_name, "Serve only this namespace (default: all)");
  cmd->add_option("--viewer", args->viewer_dir,
                  "The OHIF viewer's dist/ folder (default: the one scripts/setup installs)");
  cmd->add_option("--max-requests", o.max_requests, "Requests served at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--timeout-seconds", o.timeout_seconds, "Drop a client silent this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--title", o.title, "The dashboard's title (default: the lake's folder name)");
  cmd->add_option("--port-file", args->port_file, "Write the port listened on to this file");
  cmd->add_flag("--log", args->log, "Print one line per request answered");
}

void RegisterReport(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::string to;
    std::string title;
    std::string namespace_name;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    serve::CatalogOptions co;
    co.namespace_name = args->namespace_name;
    DL_ASSIGN_OR_RETURN(auto catalog, serve::Catalog::Load(*session.lake, co));
    std::string title = args->title;
    if (title.empty()) title = session.lake->root().substr(session.lake->root().rfind('/') + 1);
    DL_ASSIGN_OR_RETURN(auto data, serve::CollectDashboard(*session.lake, *catalog, title));
    DL_RETURN_IF_ERROR(fs::WriteFileAtomic(args->to, serve::DashboardPage(data, true)));
    if (!global.quiet) {
      std::printf("wrote %s: %zu studies, %zu series, %zu instances\n", args->to.c_str(),
                  catalog->study_count(), catalog->series_count(), catalog->instance_count());
    }
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(app, "report",
                             "Write the dashboard of the lake as one self-contained HTML file",
                             global, exit_code, body);
  cmd->add_option("--to", args->to, "The HTML file to write")->required();
  cmd->add_option("--title", args->title, "Its title (default: the lake's folder name)");
  cmd->add_option("--namespace", args->namespace_name, "Only this namespace (default: all)");
}

}  // namespace dicomlake::cli
