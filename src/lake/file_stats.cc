#include "lake/file_stats.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/time_util.h"
#include "lake/engine.h"

namespace dicomlake::lake {
namespace {

using json = nlohmann::ordered_json;
using K = DataType::Kind;

bool HasMinMax(const DataType& t) {
  switch (t.kind) {
    case K::kString:
    case K::kLong:
    case K::kInteger:
    case K::kShort:
    case K::kByte:
    case K::kFloat:
    case K::kDouble:
    case K::kDate:
    case K::kTimestamp:
    case K::kDecimal:
      return true;
    default:
      return false;
  }
}

// Number of UTF-8 code points in `s`, and the byte length of its first `n` code points.
size_t Utf8PrefixBytes(const std::string& s, size_t n, size_t* count) {
  size_t chars = 0, bytes = 0, prefix = s.size();
  for (; bytes < s.size(); ++bytes) {
    if ((static_cast<unsigned char>(s[bytes]) & 0xC0) != 0x80) {
      if (chars == n) prefix = bytes;
      ++chars;
    }
  }
  *count = chars;
  return chars > n ? prefix : s.size();
}

// The JSON for a min or max value, or null when it must be left out.
json StatValue(const Value& v, bool is_max) {
  switch (v.kind) {
    case Value::Kind::kInt:
      return v.i;
    case Value::Kind::kDouble:
      if (!std::isfinite(v.d)) return nullptr;
      return v.d;
    case Value::Kind::kDecimal:
      return json::parse(v.s, nullptr, false);
    case Value::Kind::kDate:
      return FormatDate(v.i);
    case Value::Kind::kTimestamp: {
      int64_t ms = v.i >= 0 ? v.i / 1000 : -((-v.i + 999) / 1000);
      return FormatTimestampIso(ms * 1000, 3);
    }
    case Value::Kind::kString: {
      size_t count = 0;
      size_t cut = Utf8PrefixBytes(v.s, kStatsStringPrefix, &count);
      if (count <= static_cast<size_t>(kStatsStringPrefix)) return v.s;
      if (is_max) return nullptr;
      return v.s.substr(0, cut);
    }
    default:
      return nullptr;
  }
}

}  // namespace

Result<FileStats> ComputeFileStats(Engine& engine, const std::string& parquet_path,
                                   const Schema& schema) {
  std::string sql = "SELECT count(*)";
  struct Col {
    const Field* field;
    bool minmax;
  };
  std::vector<Col> cols;
  for (const auto& f : schema.fields) {
    if (static_cast<int>(cols.size()) >= kStatsMaxColumns) break;
    if (f.type.kind == K::kStruct) continue;
    cols.push_back({&f, HasMinMax(f.type)});
    std::string q = QuoteIdent(f.name);
    sql += ", count(*) - count(" + q + ")";
    if (cols.back().minmax) sql += ", min(" + q + "), max(" + q + ")";
  }
  // Required columns are checked over all columns, not only the indexed ones.
  std::vector<const Field*> required;
  for (const auto& f : schema.fields) {
    if (!f.nullable) {
      required.push_back(&f);
      sql += ", count(*) - count(" + QuoteIdent(f.name) + ")";
    }
  }
  sql += " FROM read_parquet(" + QuoteLiteral(parquet_path) + ")";
  DL_ASSIGN_OR_RETURN(QueryResult result, engine.Query(sql));
  if (result.rows.size() != 1) return Internal("statistics query returned no row");
  const Row& row = result.rows[0];
  FileStats stats;
  stats.num_records = row[0].i;
  json j;
  j["numRecords"] = stats.num_records;
  json mins = json::object(), maxs = json::object(), nulls = json::object();
  size_t c = 1;
  for (const auto& col : cols) {
    const std::string& name = col.field->name;
    nulls[name] = row[c++].i;
    if (!col.minmax) continue;
    json mn = StatValue(row[c++], false);
    json mx = StatValue(row[c++], true);
    if (!mn.is_null()) mins[name] = mn;
    if (!mx.is_null()) maxs[name] = mx;
  }
  for (const Field* f : required) {
    if (row[c++].i > 0) stats.null_in_required.push_back(f->name);
  }
  j["minValues"] = mins;
  j["maxValues"] = maxs;
  j["nullCount"] = nulls;
  stats.json = j.dump();
  return stats;
}

}  // namespace dicomlake::lake
