#include "fhir/ndjson.h"

#include <algorithm>

#include "common/fs.h"
#include "common/time_util.h"

namespace dicomlake::fhir {

Result<std::vector<std::string>> WriteNdjsonFiles(const std::string& folder,
                                                  const std::string& resource_type,
                                                  const std::vector<std::string>& lines,
                                                  int64_t max_per_file, int64_t now_us) {
  std::vector<std::string> written;
  if (lines.empty()) return written;
  if (max_per_file < 1) max_per_file = 1;
  DL_RETURN_IF_ERROR(fs::MakeDirs(folder));
  // "2026-11-24T23:43:05.123456Z" -> "2026-11-24T23.43.05.123456Z"
  std::string stamp = FormatTimestampIso(now_us, 6);
  for (char& c : stamp)
    if (c == ':') c = '.';
  size_t per_file = static_cast<size_t>(max_per_file);
  size_t files = (lines.size() + per_file - 1) / per_file;
  for (size_t f = 0; f < files; ++f) {
    std::string name = resource_type + "-" + stamp;
    if (files > 1) name += "-" + std::to_string(f + 1);
    std::string path = fs::Join(folder, name + ".ndjson");
    for (int n = 2; fs::Exists(path); ++n)  // another run in the same microsecond
      path = fs::Join(folder, name + "-r" + std::to_string(n) + ".ndjson");
    std::string data;
    for (size_t i = f * per_file; i < std::min(lines.size(), (f + 1) * per_file); ++i) {
      data += lines[i];
      data += '\n';
    }
    DL_RETURN_IF_ERROR(fs::WriteFileAtomic(path, data));
    written.push_back(path);
  }
  DL_RETURN_IF_ERROR(fs::SyncDir(folder));
  return written;
}

}  // namespace dicomlake::fhir
