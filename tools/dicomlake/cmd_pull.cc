// `dicomlake pull LAKE (--dicomweb URL | --dimse AET@host:port [--move]) [--since DATE]
// [--study UID]...`: instances pulled from a DICOMweb server or a PACS into the lake
// (pipeline/pull_service.h; docs/network.md). Credentials come from the environment or a netrc file
// and are never printed.
#include <cstdio>
#include <cstdlib>

#include "cli.h"
#include "pipeline/pull_service.h"

namespace dicomlake::cli {
namespace {

// "2026-01-31" or "20260131" as YYYYMMDD; "" stays "".
Result<std::string> CompactDate(const std::string& text, const char* option) {
  std::string out;
  for (char c : text)
    if (c != '-') out += c;
  if (out.empty()) return out;
  if (out.size() != 8 || out.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument(std::string(option) + ": not a date (YYYY-MM-DD): " + text);
  return out;
}

std::string Env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

void RegisterPull(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    pipeline::PullOptions options;
    std::string token_env = "DICOMLAKE_DICOMWEB_TOKEN";
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    pipeline::PullOptions options = args->options;
    if (options.dicomweb_url.empty() && options.dimse_peer.empty())
      return InvalidArgument("pull needs a source: --dicomweb URL or --dimse AET@host:port");
    DL_ASSIGN_OR_RETURN(options.since, CompactDate(options.since, "--since"));
    DL_ASSIGN_OR_RETURN(options.until, CompactDate(options.until, "--until"));
    options.auth.bearer_token = Env(args->token_env);
    options.auth.user = Env("DICOMLAKE_DICOMWEB_USER");
    options.auth.password = Env("DICOMLAKE_DICOMWEB_PASSWORD");
    const bool quiet = global.quiet;
    options.say = [quiet](const std::string& line) {
      if (!quiet) std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
    DL_ASSIGN_OR_RETURN(pipeline::PullSummary s,
                        pipeline::RunPull(*session.lake, *session.engine, session.config, options));
    if (!quiet) {
      std::printf(
          "pulled from %s (StudyDate %s-%s): %lld stud%s found, %lld already complete, %lld "
          "retrieved, %lld failed; %lld instance(s) received (%.1f MB), %lld refused; %lld "
          "added to bronze%s\n",
          s.source.c_str(), s.since.c_str(), s.until.c_str(),
          static_cast<long long>(s.studies_found), s.studies_found == 1 ? "y" : "ies",
          static_cast<long long>(s.studies_complete), static_cast<long long>(s.studies_retrieved),
          static_cast<long long>(s.studies_failed), static_cast<long long>(s.instances_received),
          static_cast<double>(s.bytes) / 1e6, static_cast<long long>(s.parts_failed),
          static_cast<long long>(s.instances_added),
          s.watermark_recorded ? "; watermark recorded" : "");
    }
    return s.studies_failed + s.parts_failed > 0 ? kExitInputFailures : kExitOk;
  };
  auto* cmd = AddLakeCommand(app, "pull",
                             "Pull studies from a DICOMweb server (QIDO-RS, WADO-RS) or a PACS "
                             "(C-FIND, C-GET or C-MOVE) into the lake, incrementally",
                             global, exit_code, body);
  pipeline::PullOptions& o = args->options;
  auto* web = cmd->add_option("--dicomweb", o.dicomweb_url,
                              "The server's DICOMweb root, e.g. http://pacs:8042/dicom-web");
  auto* dimse = cmd->add_option("--dimse", o.dimse_peer,
                                "A PACS as AET@host:port (Study Root C-FIND, then C-GET)");
  web->excludes(dimse);
  dimse->excludes(web);
  cmd->add_flag("--move", o.move,
                "With --dimse: C-MOVE to our own receiver instead of C-GET (the PACS must know "
                "--aet at --move-bind:--move-port)")
      ->needs(dimse);
  cmd->add_option("--aet", o.calling_ae, "Our AE title (DIMSE)")->capture_default_str();
  cmd->add_option("--move-port", o.move_port, "Port of the receiver C-MOVE sends to")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--move-bind", o.move_bind, "Address of the receiver C-MOVE sends to")
      ->capture_default_str();
  cmd->add_option("--study", o.studies, "Only this study (Study Instance UID); repeat");
  cmd->add_option("--since", o.since,
                  "Studies from this StudyDate (YYYY-MM-DD; default: where the last pull "
                  "from this server into this namespace ended)");
  cmd->add_option("--until", o.until, "Studies up to this StudyDate (default: today)");
  cmd->add_option("--modality", o.modality, "Only studies with this modality (ModalitiesInStudy)");
  cmd->add_option("--namespace", o.namespace_name,
                  "Namespace of the pulled instances (default: global.default_namespace)");
  cmd->add_option("--batch-studies", o.batch_studies, "Ingest after this many studies")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--dry-run", o.dry_run, "List the studies that would be retrieved");
  cmd->add_option("--netrc-file", o.auth.netrc_file,
                  "Basic credentials per host from this netrc file (or set "
                  "DICOMLAKE_DICOMWEB_USER and DICOMLAKE_DICOMWEB_PASSWORD)");
  cmd->add_option("--token-env", args->token_env, "The environment variable holding a bearer token")
      ->capture_default_str();
}

}  // namespace dicomlake::cli
