// `dicomlake delete` and `dicomlake patch`: Fabric's soft-delete and patch operations on stored
// instances, recorded in bronze with who/when/what/why and carried through fhir, silver and gold
// at once (pipeline/operations_stage.h; docs/lifecycle.md). `delete --purge` then erases what
// the lake holds of the deleted instances.
#include <cstdio>

#include "bronze/operations.h"
#include "cli.h"
#include "pipeline/fhir_stage.h"
#include "pipeline/gold_stage.h"
#include "pipeline/operations_stage.h"
#include "pipeline/silver_stage.h"

namespace dicomlake::cli {
namespace {

struct OperationArgs {
  pipeline::OperationRequest request;
  std::vector<std::string> assignments;  // patch: --set Keyword=value
  bool purge = false;                    // delete: erase too
  bool json = false;
};

// The target options both commands share.
void AddTargetOptions(CLI::App* cmd, OperationArgs& a, const char* verb) {
  auto* study = cmd->add_option("--study", a.request.study_uid,
                                std::string("Study Instance UID: ") + verb + " the whole study");
  auto* series = cmd->add_option("--series", a.request.series_uid,
                                 std::string("Series Instance UID: ") + verb + " the series");
  auto* sop = cmd->add_option("--sop", a.request.sop_uid,
                              std::string("SOP Instance UID: ") + verb + " one instance");
  auto* sql = cmd->add_option(
      "--sql", a.request.sql,
      "A query over the lake's views returning sopInstanceUid (or seriesInstanceUid, or "
      "studyInstanceUid; with sourceSystem to name the namespace too)");
  study->excludes(series)->excludes(sop)->excludes(sql);
  series->excludes(sop)->excludes(sql);
  sop->excludes(sql);
  cmd->add_option("--namespace", a.request.only_namespace,
                  "Only the instances of this namespace (default: every namespace holding them)");
  cmd->add_option("--reason", a.request.reason, "Why (recorded in admin.BusinessEvents)")
      ->required();
  cmd->add_option("--by", a.request.who, "Who asks (default: the user running dicomlake)");
  cmd->add_flag("--dry-run", a.request.dry_run, "Say what would be targeted; change nothing");
  cmd->add_flag("--json", a.json, "Print the summaries as JSON");
}

Result<int> Carry(Session& session, const GlobalOptions& global, const OperationArgs& a) {
  DL_ASSIGN_OR_RETURN(
      pipeline::OperationSummary s,
      pipeline::RunOperation(*session.lake, *session.engine, session.config, a.request));
  const bool say = !global.quiet && !a.json;
  if (a.json) std::printf("%s\n", s.ToJson().c_str());
  if (s.dry_run) {
    if (say) {
      std::printf(
          "%s (dry run): %lld instance(s) of %lld study(ies) would be targeted by %lld "
          "operation row(s); nothing recorded\n",
          s.operation.c_str(), static_cast<long long>(s.instances_targeted),
          static_cast<long long>(s.studies_targeted),
          static_cast<long long>(s.operations_recorded));
    }
    return kExitOk;
  }
  if (say) {
    std::printf(
        "%s run %s: %lld instance(s) of %lld study(ies) targeted (%lld operation row(s) "
        "in bronze, the reason in admin.BusinessEvents)\n",
        s.operation.c_str(), s.run_id.c_str(), static_cast<long long>(s.instances_targeted),
        static_cast<long long>(s.studies_targeted), static_cast<long long>(s.operations_recorded));
  }
  // Carried through at once: FHIR, silver, gold. When a stage cannot run now (another run holds
  // its lock), the operation stays recorded and the next `run` carries it through.
  const std::string recorded = "the operation is recorded (run " + s.run_id +
                               ") and the next `dicomlake run` carries it through";
  auto fhir = pipeline::RunFhir(*session.lake, *session.engine, session.config, {});
  if (!fhir.ok()) return fhir.status().WithContext(recorded);
  auto silver = pipeline::RunSilver(*session.lake, *session.engine, session.config);
  if (!silver.ok()) return silver.status().WithContext(recorded);
  auto gold = pipeline::RunGold(*session.lake, *session.engine, session.config);
  if (!gold.ok()) return gold.status().WithContext(recorded);
  if (a.json) {
    std::printf("%s\n%s\n%s\n", fhir->ToJson().c_str(), silver->ToJson().c_str(),
                gold->ToJson().c_str());
  }
  if (say) {
    std::printf(
        "  fhir: %lld ImagingStudy resources; silver: %lld studies, %lld metastore rows; "
        "gold: %lld procedure and %lld image rows written, %lld removed\n",
        static_cast<long long>(fhir->studies_written),
        static_cast<long long>(silver->imaging_studies),
        static_cast<long long>(silver->metastore_rows), static_cast<long long>(gold->procedures),
        static_cast<long long>(gold->images), static_cast<long long>(gold->removed));
  }
  if (!a.purge) return kExitOk;
  DL_ASSIGN_OR_RETURN(
      pipeline::ErasureSummary e,
      pipeline::EraseDeleted(*session.lake, *session.engine, session.config, s.studies));
  if (a.json) std::printf("%s\n", e.ToJson().c_str());
  if (say) {
    std::printf(
        "  erased: %lld instance version(s) from bronze, silver and admin; %lld "
        "original(s) deleted, %lld kept; earlier table versions keep the rows until "
        "`dicomlake vacuum` after the retention period\n",
        static_cast<long long>(e.instances_erased), static_cast<long long>(e.originals_removed),
        static_cast<long long>(e.originals_kept));
    for (const auto& k : e.kept) std::printf("  kept: %s\n", k.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterDelete(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<OperationArgs>();
  args->request.operation = bronze::kSoftDelete;
  auto* cmd = AddLakeCommand(
      app, "delete",
      "Mark stored instances deleted (Fabric's soft-delete): silver msftIsDeleted, FHIR updated "
      "or entered-in-error, gold rows removed; --purge also erases them",
      global, exit_code,
      [&global, args](Session& session) { return Carry(session, global, *args); });
  AddTargetOptions(cmd, *args, "delete");
  cmd->add_flag("--purge", args->purge,
                "Also erase the deleted instances: their originals in the lake and their rows "
                "(the right to erasure; table history goes at `vacuum`)");
}

void RegisterPatch(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<OperationArgs>();
  args->request.operation = bronze::kPatch;
  auto* cmd = AddLakeCommand(
      app, "patch",
      "Correct tag values of stored instances in silver, FHIR and gold (Fabric's patch; the "
      "originals are untouched and the change recorded)",
      global, exit_code, [&global, args](Session& session) -> Result<int> {
        DL_ASSIGN_OR_RETURN(args->request.tags_json,
                            bronze::TagPatchFromAssignments(args->assignments));
        return Carry(session, global, *args);
      });
  AddTargetOptions(cmd, *args, "patch");
  cmd->add_option("--set", args->assignments,
                  "Keyword=value (PS3.6 keyword or tag; values separated by \\; nothing after = "
                  "empties it); repeat for more")
      ->required();
}

}  // namespace dicomlake::cli
