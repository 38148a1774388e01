#include "support/delta_conformance.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "lake/engine.h"

namespace dicomlake::testing {
namespace {

namespace stdfs = std::filesystem;
using json = nlohmann::json;

std::string ReadAll(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The DuckDB type a Parquet column of this Spark type reads back as (the checker's own table).
std::string ExpectedDuckType(const json& type) {
  if (type.is_string()) {
    static const std::map<std::string, std::string> kMap = {
        {"string", "VARCHAR"},
        {"long", "BIGINT"},
        {"integer", "INTEGER"},
        {"short", "SMALLINT"},
        {"byte", "TINYINT"},
        {"float", "FLOAT"},
        {"double", "DOUBLE"},
        {"boolean", "BOOLEAN"},
        {"binary", "BLOB"},
        {"date", "DATE"},
        {"timestamp", "TIMESTAMP WITH TIME ZONE"}};
    auto it = kMap.find(type.get<std::string>());
    if (it != kMap.end()) return it->second;
    std::string s = type.get<std::string>();
    if (s.rfind("decimal(", 0) == 0) return "DECIMAL(" + s.substr(8);
    return "?" + s;
  }
  std::string t = type.value("type", "");
  if (t == "array") return ExpectedDuckType(type["elementType"]) + "[]";
  if (t == "map")
    return "MAP(" + ExpectedDuckType(type["keyType"]) + ", " + ExpectedDuckType(type["valueType"]) +
           ")";
  if (t == "struct") {
    std::string s = "STRUCT(";
    bool first = true;
    for (const auto& f : type["fields"]) {
      if (!first) s += ", ";
      first = false;
      s += f["name"].get<std::string>() + " " + ExpectedDuckType(f["type"]);
    }
    return s + ")";
  }
  return "?";
}

struct Checker {
  std::string root;
  std::vector<std::string> problems;

  void Problem(const std::string& where, const std::string& what) {
    problems.push_back(where + ": " + what);
  }

  bool Require(const json& obj, const char* field, bool (json::*is)() const,
               const std::string& where) {
    if (!obj.contains(field) || obj[field].is_null()) {
      Problem(where, std::string("required field \"") + field + "\" missing");
      return false;
    }
    if (!(obj[field].*is)()) {
      Problem(where, std::string("field \"") + field + "\" has the wrong type");
      return false;
    }
    return true;
  }

  void CheckSchemaString(const std::string& s, const std::string& where) {
    json schema = json::parse(s, nullptr, false);
    if (schema.is_discarded() || !schema.is_object() || schema.value("type", "") != "struct" ||
        !schema.contains("fields") || !schema["fields"].is_array()) {
      Problem(where, "schemaString is not a struct type");
      return;
    }
    for (const auto& f : schema["fields"]) {
      if (!f.contains("name") || !f.contains("type") || !f.contains("nullable") ||
          !f.contains("metadata")) {
        Problem(where, "schema field lacks name, type, nullable or metadata");
      }
    }
  }

  void Run() {
    stdfs::path log = stdfs::path(root) / "_delta_log";
    std::map<int64_t, stdfs::path> commits;
    static const std::regex kCommit("^(\\d{20})\\.json$");
    for (const auto& e : stdfs::directory_iterator(log)) {
      std::smatch m;
      std::string name = e.path().filename().string();
      if (std::regex_match(name, m, kCommit)) commits[std::stoll(m[1])] = e.path();
    }
    if (commits.empty()) {
      Problem(root, "no commit files");
      return;
    }
    int64_t expect = 0;
    for (const auto& [v, p] : commits) {
      if (v != expect)
        Problem(root, "versions not contiguous: expected " + std::to_string(expect) + ", found " +
                          std::to_string(v));
      expect = v + 1;
    }
    json schema;
    std::map<std::string, json> live;  // path -> add
    for (const auto& [v, p] : commits) {
      std::string where = p.filename().string();
      std::string text = ReadAll(p);
      if (text.empty() || text.back() != '\n') Problem(where, "does not end with a newline");
      std::istringstream lines(text);
      std::string line;
      int protocols = 0, metadatas = 0;
      std::set<std::string> added;
      while (std::getline(lines, line)) {
        if (line.empty()) continue;
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object() || j.size() != 1) {
          Problem(where, "a line is not exactly one JSON action");
          continue;
        }
        const std::string kind = j.begin().key();
        const json& a = j.begin().value();
        if (!a.is_object()) {
          Problem(where, kind + " is not an object");
          continue;
        }
        if (kind == "protocol") {
          ++protocols;
          Require(a, "minReaderVersion", &json::is_number_integer, where);
          Require(a, "minWriterVersion", &json::is_number_integer, where);
        } else if (kind == "metaData") {
          ++metadatas;
          Require(a, "id", &json::is_string, where);
          if (Require(a, "format", &json::is_object, where))
            Require(a["format"], "provider", &json::is_string, where);
          if (Require(a, "schemaString", &json::is_string, where)) {
            CheckSchemaString(a["schemaString"], where);
            schema = json::parse(a["schemaString"].get<std::string>(), nullptr, false);
          }
          Require(a, "partitionColumns", &json::is_array, where);
          Require(a, "configuration", &json::is_object, where);
        } else if (kind == "add") {
          bool ok = Require(a, "path", &json::is_string, where);
          Require(a, "partitionValues", &json::is_object, where);
          Require(a, "size", &json::is_number_integer, where);
          Require(a, "modificationTime", &json::is_number_integer, where);
          Require(a, "dataChange", &json::is_boolean, where);
          if (a.contains("stats")) {
            json stats = a["stats"].is_string()
                             ? json::parse(a["stats"].get<std::string>(), nullptr, false)
                             : json();
            if (!stats.is_object() || !stats.contains("numRecords") ||
                !stats["numRecords"].is_number_integer()) {
              Problem(where, "stats do not parse as JSON with numRecords");
            }
          }
          if (ok) {
            std::string path = a["path"];
            if (!added.insert(path).second) Problem(where, "two adds for " + path);
            live[path] = a;
          }
        } else if (kind == "remove") {
          if (Require(a, "path", &json::is_string, where)) live.erase(a["path"].get<std::string>());
          Require(a, "dataChange", &json::is_boolean, where);
          if (a.contains("deletionTimestamp") && !a["deletionTimestamp"].is_number_integer()) {
            Problem(where, "deletionTimestamp is not an integer");
          }
        } else if (kind == "commitInfo") {
          // free-form
        }
      }
      if (protocols > 1 || metadatas > 1) Problem(where, "more than one protocol or metaData");
      if (v == 0 && (protocols != 1 || metadatas != 1))
        Problem(where, "version 0 lacks protocol or metaData");
    }
    CheckLiveFiles(live, schema);
    CheckLastCheckpoint(log);
  }

  void CheckLiveFiles(const std::map<std::string, json>& live, const json& schema) {
    auto engine = lake::Engine::Open({1, ""});
    if (!engine.ok()) {
      Problem(root, "cannot open engine");
      return;
    }
    for (const auto& [rel, add] : live) {
      stdfs::path p = stdfs::path(root) / rel;
      std::error_code ec;
      auto size = stdfs::file_size(p, ec);
      if (ec) {
        Problem(rel, "data file is missing");
        continue;
      }
      if (add.contains("size") && add["size"].is_number_integer() &&
          add["size"].get<uint64_t>() != size) {
        Problem(rel, "size in the log differs from the file");
      }
      std::string lit = lake::QuoteLiteral(p.string());
      auto cols = (*engine)->Query("DESCRIBE SELECT * FROM read_parquet(" + lit + ")");
      if (!cols.ok()) {
        Problem(rel, "unreadable Parquet: " + cols.status().message());
        continue;
      }
      if (schema.is_object()) {
        const auto& fields = schema["fields"];
        // A file written before columns were added (Delta's ADD COLUMNS) lacks the trailing
        // ones, which must then be nullable: readers give NULL for them.
        if (cols->rows.size() > fields.size()) Problem(rel, "more columns than the schema");
        for (size_t k = cols->rows.size(); k < fields.size(); ++k) {
          if (!fields[k].value("nullable", false))
            Problem(rel, "lacks the required column " + fields[k].value("name", std::string()));
        }
        for (size_t k = 0; k < fields.size() && k < cols->rows.size(); ++k) {
          std::string name = fields[k]["name"], got = cols->rows[k][0].s, type = cols->rows[k][1].s;
          std::string want = ExpectedDuckType(fields[k]["type"]);
          // DuckDB quotes nested field names that are SQL keywords ("type", "value", ...).
          std::string unquoted;
          for (char c : type)
            if (c != '"') unquoted += c;
          if (got != name || unquoted != want) {
            Problem(rel, "column " + std::to_string(k) + " is " + got + " " + type +
                             ", schema says " + name + " " + want);
          }
        }
      }
      auto ts = (*engine)->Query("SELECT name, type, logical_type::VARCHAR FROM parquet_schema(" +
                                 lit + ") WHERE logical_type::VARCHAR LIKE 'TimestampType%'");
      if (ts.ok()) {
        for (const auto& row : ts->rows) {
          if (row[1].s != "INT64" || row[2].s.find("isAdjustedToUTC=1") == std::string::npos ||
              row[2].s.find("MICROS=MicroSeconds") == std::string::npos) {
            Problem(rel, "timestamp column " + row[0].s + " is not INT64 micros UTC");
          }
        }
      }
      if (add.contains("stats") && add["stats"].is_string()) {
        json stats = json::parse(add["stats"].get<std::string>(), nullptr, false);
        auto count = (*engine)->Query("SELECT count(*) FROM read_parquet(" + lit + ")");
        if (count.ok() && stats.is_object() && stats.contains("numRecords") &&
            stats["numRecords"] != count->rows[0][0].i) {
          Problem(rel, "numRecords differs from the rows in the file");
        }
      }
    }
  }

  void CheckLastCheckpoint(const stdfs::path& log) {
    stdfs::path last = log / "_last_checkpoint";
    if (!stdfs::exists(last)) return;
    json j = json::parse(ReadAll(last), nullptr, false);
    if (j.is_discarded() || !j.contains("version") || !j["version"].is_number_integer() ||
        !j.contains("size") || !j["size"].is_number_integer()) {
      Problem("_last_checkpoint", "lacks version or size");
      return;
    }
    char name[64];
    std::snprintf(name, sizeof name, "%020lld.checkpoint.parquet",
                  static_cast<long long>(j["version"].get<int64_t>()));
    if (!stdfs::exists(log / name))
      Problem("_last_checkpoint", std::string("names a missing checkpoint ") + name);
  }
};

}  // namespace

std::vector<std::string> CheckDeltaTable(const std::string& table_root) {
  Checker checker{table_root, {}};
  try {
    checker.Run();
  } catch (const std::exception& e) {
    checker.problems.push_back(table_root + ": checker failed: " + e.what());
  }
  return checker.problems;
}

std::vector<std::string> CheckAllTablesUnder(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!stdfs::exists(root, ec)) return out;
  for (auto it = stdfs::recursive_directory_iterator(root, ec);
       it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory() && it->path().filename() == "_delta_log") {
      std::string table = it->path().parent_path().string();
      for (const auto& p : CheckDeltaTable(table)) out.push_back(table + ": " + p);
      it.disable_recursion_pending();
    }
  }
  return out;
}

}  // namespace dicomlake::testing
