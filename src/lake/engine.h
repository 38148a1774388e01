// Engine: the embedded SQL engine (DuckDB) behind a DuckDB-free interface. It reads and writes
// Parquet for the Delta layer and answers `dicomlake sql`. The only implementation is
// lake/duckdb_engine.cc, the one file (with duckdb_appender.cc) that includes duckdb.h.
//
// Thread safety: an Engine is one in-memory database with one connection; use it from one
// thread at a time. Open several Engines for parallel work.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/value.h"

namespace dicomlake::lake {

struct EngineOptions {
  int threads = 0;           // 0: DuckDB's default (all cores)
  std::string memory_limit;  // e.g. "2GB"; empty: DuckDB's default (80% of RAM)
};

struct QueryResult {
  std::vector<std::string> column_names;
  std::vector<std::string> column_types;  // DuckDB type names, e.g. "VARCHAR", "INTEGER[]"
  std::vector<Row> rows;
  bool returns_rows = true;  // false for statements such as CREATE or SET
};

class Appender;

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs one statement and discards its result. Errors carry DuckDB's message.
  Status Execute(const std::string& sql);
  // Runs one statement and returns all of its rows.
  Result<QueryResult> Query(const std::string& sql);
  // Runs a script of one or more statements; returns one QueryResult per statement, in order.
  // Stops at the first failing statement.
  Result<std::vector<QueryResult>> RunScript(const std::string& sql);

  // An appender into an existing table (`table` may be "schema.table"). The returned Appender
  // must not outlive this Engine.
  Result<std::unique_ptr<Appender>> OpenAppender(const std::string& table);

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Appends rows to a table; values are converted to the column types (nested types included).
class Appender {
 public:
  virtual ~Appender() = default;
  virtual Status AppendRow(const Row& row) = 0;
  // Flushes and closes; further appends fail.
  virtual Status Close() = 0;
};

// SQL quoting helpers.
std::string QuoteIdent(const std::string& name);    // "na""me"
std::string QuoteLiteral(const std::string& text);  // 'it''s'

}  // namespace dicomlake::lake
