// `dicomlake dump FILE...`: a file's DICOM JSON (PS3.18 Annex F) as bronze stores it in
// `metadata_string`, one JSON object per line. Exit code 3 when a file could not be read.
#include <iostream>

#include "cli.h"
#include "common/fs.h"
#include "common/large_stack.h"
#include "dicom/dicom_json.h"
#include "dicom/dicom_reader.h"

namespace dicomlake::cli {

void RegisterDump(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::vector<std::string> files;
    bool warnings = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args]() -> Result<int> {
    int rc = kExitOk;
    for (const auto& path : args->files) {
      Result<dicom::DicomFile> file = Internal("not read");
      Status st = RunOnLargeStack([&] { file = dicom::ReadDicomFile(path); });
      if (st.ok()) st = file.status();
      if (!st.ok()) {
        std::cerr << "dicomlake: " << path << ": " << st.message() << "\n";
        rc = kExitInputFailures;
        continue;
      }
      dicom::JsonOptions options;
      options.bulk_uri_base = "file://" + fs::Absolute(path);
      std::cout << dicom::ToDicomJson(file->meta, file->data, options) << "\n";
      if (args->warnings || !global.quiet) {
        for (const auto& w : file->warnings)
          std::cerr << "dicomlake: " << path << ": warning: " << w << "\n";
      }
    }
    return rc;
  };
  auto* cmd = AddCommand(app, "dump",
                         "Print DICOM files as DICOM JSON (PS3.18 Annex F), one object per line",
                         exit_code, body);
  cmd->add_option("files", args->files, "DICOM files")->required();
  cmd->add_flag("--warnings", args->warnings, "Also print what was odd in each file (to stderr)");
}

}  // namespace dicomlake::cli
