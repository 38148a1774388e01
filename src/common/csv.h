// CSV as RFC 4180 writes it: a field quoted when it holds a comma, a quote or a line break, a
// quote inside doubled. Used for manifests, id maps and `--format csv`.
#pragma once

#include <string>
#include <vector>

namespace dicomlake {

// `value` as one CSV field.
std::string CsvField(const std::string& value);

// The records of CSV `text` (fields unquoted; "\r\n" or "\n" ends a record; an empty last line
// is no record).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text);

}  // namespace dicomlake
