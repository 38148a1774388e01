#include "lake/temp_tables.h"

#include "lake/engine.h"

namespace dicomlake::lake {

TempTables::~TempTables() {
  // Best effort: a table that was never created, or an engine that already failed, is no reason
  // to fail here.
  for (auto it = names_.rbegin(); it != names_.rend(); ++it)
    (void)engine_.Execute("DROP TABLE IF EXISTS " + QuoteIdent(*it));
}

std::string TempTables::Add(std::string name) {
  names_.push_back(name);
  return name;
}

void TempTables::AddAll(const std::vector<std::string>& names) {
  for (const auto& n : names) names_.push_back(n);
}

}  // namespace dicomlake::lake
