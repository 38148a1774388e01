// Temporary tables that live for a scope: every name added is dropped when the scope ends, on
// every path (an early error return included), so a long-lived Engine does not collect them.
#pragma once

#include <string>
#include <vector>

namespace dicomlake::lake {

class Engine;

class TempTables {
 public:
  explicit TempTables(Engine& engine) : engine_(engine) {}
  ~TempTables();
  TempTables(const TempTables&) = delete;
  TempTables& operator=(const TempTables&) = delete;

  // Registers `name` for dropping; returns it.
  std::string Add(std::string name);
  // Registers each name of `names`.
  void AddAll(const std::vector<std::string>& names);

 private:
  Engine& engine_;
  std::vector<std::string> names_;
};

}  // namespace dicomlake::lake
