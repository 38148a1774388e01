#include "serve/dashboard.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "common/time_util.h"
#include "lake/engine.h"
#include "serve/web_files.h"

namespace dicomlake::serve {
namespace {

using Json = nlohmann::json;

const EmbeddedFile* FindWebFile(const std::string& name) {
  for (size_t k = 0; k < kWebFileCount; ++k)
    if (name == kWebFiles[k].name) return &kWebFiles[k];
  return nullptr;
}

bool TableExists(lake::Engine& engine, const std::string& schema, const std::string& table) {
  auto r = engine.Query(fmt::format(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = {} AND table_name = {}",
      lake::QuoteLiteral(schema), lake::QuoteLiteral(table)));
  return r.ok() && !r->rows.empty();
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

Result<Json> CollectDashboard(const lake::Lake& lake, const Catalog& catalog,
                              const std::string& title) {
  Json d;
  d["title"] = title;
  d["lake"] = lake.root();
  d["generated"] = FormatTimestampIso(NowMicros(), 0);

  // What is in the lake, from the catalog.
  std::map<std::string, size_t> modalities, months;
  std::set<std::string> patients;
  for (const CatalogStudy& st : catalog.studies()) {
    std::set<std::string> seen;
    if (const IndexedValue* m = st.attributes.Find("00080061"))
      seen.insert(m->strings.begin(), m->strings.end());
    if (seen.empty()) seen.insert("(none)");
    for (const std::string& m : seen) modalities[m]++;
    const std::string date = st.attributes.First("00080020");
    months[date.size() >= 6 ? date.substr(0, 4) + "-" + date.substr(4, 2) : "(no date)"]++;
    patients.insert(st.attributes.First("00100021") + "\x1f" + st.attributes.First("00100020"));
  }
  d["modalities"] = Json::array();
  for (const auto& [name, n] : modalities)
    d["modalities"].push_back({{"name", name}, {"studies", n}});
  d["months"] = Json::array();
  for (const auto& [month, n] : months) d["months"].push_back({{"month", month}, {"studies", n}});

  DL_ASSIGN_OR_RETURN(std::unique_ptr<lake::Engine> engine, lake::Engine::Open());
  std::vector<std::string> warnings;
  DL_RETURN_IF_ERROR(lake.RegisterViews(*engine, &warnings));

  d["namespaces"] = Json::array();
  if (TableExists(*engine, "silver", "ImagingMetastore")) {
    DL_ASSIGN_OR_RETURN(
        lake::QueryResult r,
        engine->Query("SELECT coalesce(msftSourceSystem, '(none)'), count(DISTINCT "
                      "sopInstanceUid) FROM silver.ImagingMetastore WHERE NOT "
                      "coalesce(msftIsDeleted, false) GROUP BY 1 ORDER BY 2 DESC, 1"));
    for (const lake::Row& row : r.rows)
      d["namespaces"].push_back({{"name", row[0].text()}, {"instances", row[1].i}});
  }

  d["failures"] = Json::array();
  int64_t failed = 0;
  if (TableExists(*engine, "admin", "BusinessEvents")) {
    // A reason is the message without what names one file (after the first ": " when the
    // message starts with a path).
    DL_ASSIGN_OR_RETURN(
        lake::QueryResult r,
        engine->Query("SELECT coalesce(eventType, ''), left(coalesce(message, ''), 240) AS "
                      "reason, count(*) FROM admin.BusinessEvents WHERE severity = 'Error' "
                      "GROUP BY ALL ORDER BY 3 DESC, 2 LIMIT 25"));
    for (const lake::Row& row : r.rows) {
      std::string stage = row[0].text();
      if (stage.rfind("stage:", 0) == 0) stage = stage.substr(6);
      d["failures"].push_back({{"stage", stage}, {"reason", row[1].text()}, {"count", row[2].i}});
    }
    DL_ASSIGN_OR_RETURN(lake::QueryResult n,
                        engine->Query("SELECT count(*) FROM admin.BusinessEvents WHERE severity "
                                      "= 'Error'"));
    failed = n.rows.at(0).at(0).i;
  }

  d["runs"] = Json::array();
  if (TableExists(*engine, "admin", "ExecutionSummary")) {
    DL_ASSIGN_OR_RETURN(
        lake::QueryResult r,
        engine->Query("SELECT strftime(msftCreatedDatetime AT TIME ZONE 'UTC', '%Y-%m-%d "
                      "%H:%M:%S'), activityName, executionStatus, numTargetRecords, "
                      "elapsedTime FROM admin.ExecutionSummary ORDER BY msftCreatedDatetime "
                      "DESC LIMIT 40"));
    for (const lake::Row& row : r.rows) {
      d["runs"].push_back({{"at", row[0].text()},
                           {"activity", row[1].text()},
                           {"status", row[2].text()},
                           {"records", row[3].is_null() ? Json() : Json(row[3].i)},
                           {"seconds", row[4].is_null() ? 0.0 : row[4].d}});
    }
  }

  d["tables"] = Json::array();
  DL_ASSIGN_OR_RETURN(lake::QueryResult tables, lake::TableSummary(lake, *engine));
  for (const lake::Row& row : tables.rows) {
    d["tables"].push_back({{"lakehouse", row[0].text()},
                           {"table", row[1].text()},
                           {"version", row[2].i},
                           {"files", row[3].i},
                           {"rows", row[4].is_null() ? Json() : Json(row[4].i)},
                           {"bytes", row[5].i}});
  }

  d["totals"] = {{"studies", catalog.study_count()},      {"series", catalog.series_count()},
                 {"instances", catalog.instance_count()}, {"patients", patients.size()},
                 {"namespaces", d["namespaces"].size()},  {"failures", failed}};
  return d;
}

std::string DashboardPage(const Json& data, bool self_contained) {
  const EmbeddedFile* page = FindWebFile("dashboard.html");
  const EmbeddedFile* style = FindWebFile("dashboard.css");
  const EmbeddedFile* script = FindWebFile("dashboard.js");
  const EmbeddedFile* chart = FindWebFile("chart.umd.min.js");
  std::string html(page->text());
  // The data inside a <script> element: "</" would end it.
  const std::string json =
      ReplaceAll(data.dump(-1, ' ', false, Json::error_handler_t::replace), "</", "<\\/");
  std::string title = data.value("title", std::string("lake"));
  std::string escaped;
  for (char c : title) {
    if (c == '<')
      escaped += "&lt;";
    else if (c == '>')
      escaped += "&gt;";
    else if (c == '&')
      escaped += "&amp;";
    else if (c == '"')
      escaped += "&quot;";
    else
      escaped += c;
  }
  std::string style_tag, scripts, links;
  if (self_contained) {
    style_tag = "<style>\n" + std::string(style->text()) + "</style>";
    scripts = "<script>\n" + ReplaceAll(std::string(chart->text()), "</script", "<\\/script") +
              "\n</script>\n<script>\n" + std::string(script->text()) + "</script>";
  } else {
    style_tag = "<link rel=\"stylesheet\" href=\"/dashboard-assets/dashboard.css\">";
    scripts =
        "<script src=\"/dashboard-assets/chart.umd.min.js\"></script>\n"
        "<script src=\"/dashboard-assets/dashboard.js\"></script>";
    links =
        "<nav><a href=\"/viewer/\">Viewer</a><a href=\"/dicom-web/studies\">DICOMweb</a>"
        "<a href=\"/dashboard.json\">Data</a></nav>";
  }
  html = ReplaceAll(html, "@TITLE@", escaped);
  html = ReplaceAll(html, "@STYLE@", style_tag);
  html = ReplaceAll(html, "@LINKS@", links);
  html = ReplaceAll(html, "@SCRIPTS@", scripts);
  html = ReplaceAll(html, "@DATA@", json);  // last: the data may hold the other markers
  return html;
}

Result<StaticFile> DashboardAsset(const std::string& name) {
  if (name == "dashboard.html") return NotFound("no asset " + name);
  const EmbeddedFile* f = FindWebFile(name);
  if (f == nullptr) return NotFound("no asset " + name);
  StaticFile out;
  out.body = std::string(f->text());
  out.content_type = ContentTypeOf(name);
  return out;
}

}  // namespace dicomlake::serve
