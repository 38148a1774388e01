// The OMOP mapping's SQL (src/omop/sql/*.sql, embedded at build time): one file per target
// table plus the shared inputs, each a sequence of named steps ("-- step: <name>" lines).
// Placeholders: {{name}} is filled from the caller's variables; {{tag:Keyword}} becomes the
// quoted DICOM JSON path of that attribute's first value, built from dicom/tags.h, so an
// attribute is spelled once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::omop {

using SqlVariables = std::map<std::string, std::string>;

// The files: "inputs", "person", "procedure_occurrence", "image_occurrence".
std::vector<std::string> GoldSqlFiles();

// The SQL of step `step` of file `file` with its placeholders filled. kInternal when the file or
// step does not exist, a variable is missing or a {{tag:...}} names no known attribute (a bug in
// the templates or the driver, caught by the golden tests).
Result<std::string> GoldSql(const std::string& file, const std::string& step,
                            const SqlVariables& variables = {});

// The step names of `file`, in order.
Result<std::vector<std::string>> GoldSqlSteps(const std::string& file);

}  // namespace dicomlake::omop
