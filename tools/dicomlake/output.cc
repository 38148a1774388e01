#include "output.h"

#include <algorithm>

#include "common/csv.h"

namespace dicomlake::cli {
namespace {

// Display width of UTF-8 text, counting code points (good enough for aligned output).
size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// One line per cell: newlines and tabs in values would break the alignment.
std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\t', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

bool IsNumeric(const lake::Value& v) {
  return v.kind == lake::Value::Kind::kInt || v.kind == lake::Value::Kind::kDouble ||
         v.kind == lake::Value::Kind::kDecimal;
}

void PrintTable(const lake::QueryResult& r, std::ostream& out) {
  size_t ncols = r.column_names.size();
  std::vector<size_t> width(ncols);
  std::vector<std::vector<std::string>> cells;
  for (size_t c = 0; c < ncols; ++c) width[c] = DisplayWidth(r.column_names[c]);
  for (const auto& row : r.rows) {
    std::vector<std::string> line;
    for (size_t c = 0; c < ncols; ++c) {
      line.push_back(row[c].is_null() ? "NULL" : OneLine(row[c].ToDisplay()));
      width[c] = std::max(width[c], DisplayWidth(line.back()));
    }
    cells.push_back(std::move(line));
  }
  // The last column is not padded on the right: no trailing blanks.
  auto pad = [&out, ncols](const std::string& s, size_t w, bool right, size_t c) {
    std::string fill(w - DisplayWidth(s), ' ');
    out << (right ? fill + s : (c + 1 == ncols ? s : s + fill));
  };
  for (size_t c = 0; c < ncols; ++c) {
    if (c) out << "  ";
    pad(r.column_names[c], width[c], false, c);
  }
  out << "\n";
  for (size_t c = 0; c < ncols; ++c) {
    if (c) out << "  ";
    out << std::string(width[c], '-');
  }
  out << "\n";
  for (size_t k = 0; k < cells.size(); ++k) {
    for (size_t c = 0; c < ncols; ++c) {
      if (c) out << "  ";
      pad(cells[k][c], width[c], IsNumeric(r.rows[k][c]), c);
    }
    out << "\n";
  }
  out << "(" << r.rows.size() << (r.rows.size() == 1 ? " row)\n" : " rows)\n");
}

void PrintCsv(const lake::QueryResult& r, std::ostream& out) {
  for (size_t c = 0; c < r.column_names.size(); ++c)
    out << (c ? "," : "") << CsvField(r.column_names[c]);
  out << "\n";
  for (const auto& row : r.rows) {
    for (size_t c = 0; c < row.size(); ++c) out << (c ? "," : "") << CsvField(row[c].ToDisplay());
    out << "\n";
  }
}

void PrintJson(const lake::QueryResult& r, std::ostream& out) {
  out << "[";
  for (size_t k = 0; k < r.rows.size(); ++k) {
    lake::Value obj = lake::Value::Struct(r.column_names, r.rows[k]);
    out << (k ? ",\n " : "\n ") << obj.ToJson();
  }
  out << (r.rows.empty() ? "]\n" : "\n]\n");
}

}  // namespace

Result<Format> ParseFormat(const std::string& name) {
  if (name == "table") return Format::kTable;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  return InvalidArgument("unknown format \"" + name + "\" (table, csv or json)");
}

void PrintResult(const lake::QueryResult& result, Format format, std::ostream& out) {
  switch (format) {
    case Format::kTable:
      PrintTable(result, out);
      break;
    case Format::kCsv:
      PrintCsv(result, out);
      break;
    case Format::kJson:
      PrintJson(result, out);
      break;
  }
}

}  // namespace dicomlake::cli
