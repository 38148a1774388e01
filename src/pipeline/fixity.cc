#include "pipeline/fixity.h"

#include <fmt/format.h>

#include <set>

#include "common/fs.h"
#include "common/hash.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "pipeline/admin_tables.h"
#include "pipeline/stage_runner.h"
#include "scan/archive.h"

namespace dicomlake::pipeline {

Result<std::vector<StoredOriginal>> ListStoredOriginals(lake::Engine& engine,
                                                        const lake::Lake& lake,
                                                        const std::string& bronze_relation,
                                                        const std::string& where) {
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult r,
      engine.Query("SELECT DISTINCT filePath, coalesce(archiveMember, ''), contentHash FROM " +
                   bronze_relation + " WHERE filePath IS NOT NULL AND contentHash IS NOT NULL" +
                   (where.empty() ? "" : " AND (" + where + ")") + " ORDER BY 1, 2"));
  std::vector<StoredOriginal> files;
  for (const auto& row : r.rows) {
    std::string path = lake.ResolvePath(row[0].ToDisplay());
    if (files.empty() || files.back().path != path) files.push_back({path, {}, ""});
    std::string member = row[1].ToDisplay(), hash = row[2].ToDisplay();
    if (member.empty()) {
      files.back().whole_hash = hash;
    } else {
      files.back().members.push_back({member, hash});
    }
  }
  return files;
}

FixityOutcome CheckStoredOriginal(const StoredOriginal& f, const std::string& read_path,
                                  bool kept_by_lake) {
  FixityOutcome out;
  auto problem = [&](const std::string& state, const std::string& member, const std::string& d) {
    out.problems.push_back({state, f.path, member, d});
  };
  if (!fs::Exists(read_path)) {
    const size_t n = f.members.empty() ? 1 : f.members.size();
    out.checked += static_cast<int64_t>(n);
    for (size_t i = 0; i < n; ++i)
      problem("missing", f.members.empty() ? "" : f.members[i].member, "the stored file is gone");
    return out;
  }
  const char* changed = kept_by_lake ? "corrupt" : "changed-in-place";
  if (f.members.empty()) {
    ++out.checked;
    int64_t bytes = 0;
    auto hash = Xxh3File(read_path, &bytes);
    if (!hash.ok()) {
      problem(changed, "", hash.status().message());
      return out;
    }
    out.bytes += bytes;
    if (*hash != f.whole_hash)
      problem(changed, "", fmt::format("hash {}, bronze recorded {}", *hash, f.whole_hash));
    return out;
  }
  std::set<std::string> wanted;
  for (const auto& m : f.members) wanted.insert(m.member);
  auto hashed = scan::HashMembers(read_path, wanted);
  for (const auto& m : f.members) {
    ++out.checked;
    if (!hashed.ok()) {
      problem(changed, m.member, "cannot be read: " + hashed.status().message());
      continue;
    }
    auto it = hashed->find(m.member);
    if (it == hashed->end()) {
      problem(changed, m.member, "the member is not in the archive");
      continue;
    }
    out.bytes += it->second.bytes;
    if (it->second.hash != m.content_hash) {
      problem(changed, m.member,
              fmt::format("hash {}, bronze recorded {}", it->second.hash, m.content_hash));
    }
  }
  return out;
}

nlohmann::ordered_json FixityProblemsJson(const std::vector<FixityProblem>& problems) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& p : problems) {
    out.push_back(
        {{"state", p.state}, {"path", p.path}, {"member", p.member}, {"detail", p.detail}});
  }
  return out;
}

void RecordFixityProblems(StageRun& run, const std::vector<FixityProblem>& problems) {
  for (const auto& p : problems) {
    BusinessEvent e;
    e.source_file_path = p.path;
    e.record_identifier = p.member;
    e.message = p.state + ": " + p.detail;
    e.custom_dimensions = nlohmann::json{{"state", p.state}}.dump();
    run.AddEvent(std::move(e));
  }
}

}  // namespace dicomlake::pipeline
