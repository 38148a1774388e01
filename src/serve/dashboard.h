// The dashboard of a lake: what is in it (studies per modality and per month, instances per
// namespace, patients), what went wrong (failures by reason), how the stages ran (runs and their
// durations) and the tables (versions, files, rows, sizes). One page: served at / by `serve`
// (Chart.js from /dashboard-assets/), or written as one self-contained file by `dicomlake report`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "lake/lake.h"
#include "serve/catalog.h"
#include "serve/viewer.h"

namespace dicomlake::serve {

// The dashboard's numbers as JSON (docs/serve.md lists the members). Study figures come from
// `catalog`; failures and runs from admin BusinessEvents and ExecutionSummary; tables from their
// Delta logs.
Result<nlohmann::json> CollectDashboard(const lake::Lake& lake, const Catalog& catalog,
                                        const std::string& title);

// The page. `self_contained`: Chart.js, the style and the data inlined, no link to the server
// (the report); else they come from /dashboard-assets/ and the page links to the viewer and
// DICOMweb.
std::string DashboardPage(const nlohmann::json& data, bool self_contained);

// /dashboard-assets/<name>: the page's script, style and Chart.js, compiled into the binary.
Result<StaticFile> DashboardAsset(const std::string& name);

}  // namespace dicomlake::serve
