#include "source_options.h"

#include "common/fs.h"

namespace dicomlake::cli {

void AddSourceOptions(CLI::App* cmd, SourceArgs* args) {
  args->pattern_option =
      cmd->add_option("--pattern", args->pattern,
                      "ingest: files dropped in bronze/Files/Ingest/Imaging/DICOM/<namespace>/, "
                      "stored compressed under Process and removed from Ingest; byos: files "
                      "read in place (bronze/Files/External/Imaging/DICOM/<namespace>/ or "
                      "--source); inventory: the files named by inventory listings (CSV or "
                      "Parquet) dropped in bronze/Files/Inventory/Imaging/DICOM/<namespace>/")
          ->capture_default_str();
  cmd->add_option("--namespace", args->name_space,
                  "Without --source: only this namespace (the first folder level below the "
                  "pattern's folder). With --source: the namespace (source system) every file "
                  "of the folder is labelled with (default: the first folder level, as without)");
  cmd->add_option("--source", args->source,
                  "A folder to read in place (implies --pattern byos); must exist");
}

Result<pipeline::IngestOptions> IngestOptionsFrom(const SourceArgs& args) {
  pipeline::IngestOptions options;
  DL_ASSIGN_OR_RETURN(options.pattern, pipeline::ParseIngestPattern(args.pattern));
  if (args.source.empty()) {
    options.only_namespace = args.name_space;
    return options;
  }
  bool pattern_given = args.pattern_option != nullptr && args.pattern_option->count() > 0;
  if (pattern_given && options.pattern != pipeline::IngestPattern::kByos) {
    return InvalidArgument(
        "--source reads a folder in place, which is the byos pattern: use --pattern byos (or no "
        "--pattern), or copy the files into <lake>/bronze/Files/Ingest/Imaging/DICOM/<namespace>/ "
        "for the ingest pattern");
  }
  options.pattern = pipeline::IngestPattern::kByos;
  if (!fs::Exists(args.source)) {
    return InvalidArgument("source folder " + args.source + " does not exist");
  }
  if (!fs::IsDirectory(args.source)) {
    return InvalidArgument("--source " + args.source + " is not a folder");
  }
  options.source_dir = args.source;
  options.source_namespace = args.name_space;
  return options;
}

}  // namespace dicomlake::cli
