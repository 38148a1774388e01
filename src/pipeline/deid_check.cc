#include "pipeline/deid_check.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/fs.h"
#include "deid/profile.h"
#include "pipeline/deid_stage.h"

namespace dicomlake::pipeline {

std::string DeidCheckReport::ToJson() const {
  nlohmann::ordered_json j;
  j["valuesLookedFor"] = values;
  j["cellsSearched"] = cells;
  j["filesSearched"] = files;
  j["patientsCompared"] = patients_compared;
  j["options"] = options;
  j["findings"] = nlohmann::ordered_json::array();
  for (const auto& f : findings) {
    j["findings"].push_back(
        {{"kind", f.kind}, {"value", f.value}, {"where", f.where}, {"count", f.count}});
  }
  j["notes"] = notes;
  return j.dump(2);
}

namespace {

using json = nlohmann::json;

bool TokenChar(unsigned char c) {
  return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c >= 0x80;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The tokens of `text` (runs of letters, digits, '.', '-', '_' and non-ASCII bytes), upper-cased
// (ASCII) unless `keep_case`.
std::vector<std::string> Tokens(const std::string& text, bool keep_case = false) {
  std::vector<std::string> out;
  std::string t;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (TokenChar(c)) {
      t.push_back(keep_case ? ch : static_cast<char>(std::toupper(c)));
    } else if (!t.empty()) {
      out.push_back(std::move(t));
      t.clear();
    }
  }
  if (!t.empty()) out.push_back(std::move(t));
  return out;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// The identifying values looked for, indexed by token.
class Needles {
 public:
  // An identifier or UID: found as a whole token (or a run of tokens).
  void AddIdentifier(const std::string& kind, const std::string& value) {
    std::string v = Trim(value);
    if (v.size() < 4 || (AllDigits(v) && v.size() < 6)) return;
    Add(kind, v);
  }
  // A person's name: each component of 3 characters or more.
  void AddName(const std::string& kind, const std::string& value) {
    for (const auto& t : Tokens(value, /*keep_case=*/true)) {
      if (t.size() >= 3 && !AllDigits(t)) Add(kind, t);
    }
  }
  // Other text: whole values of 8 characters or more, or of several words.
  void AddText(const std::string& kind, const std::string& value) {
    std::string v = Trim(value);
    auto tokens = Tokens(v);
    if (tokens.empty() || (tokens.size() == 1 && v.size() < 8)) return;
    if (tokens.size() == 1 && AllDigits(tokens[0]) && tokens[0].size() < 6) return;
    Add(kind, v);
  }

  // A value an attribute the profile keeps holds (e.g. a Code Meaning equal to a Study
  // Description): not identity by itself, so not looked for.
  void AddKept(const std::string& value) { kept_.insert(Upper(Trim(value))); }

  size_t size() const { return needles_.size(); }

  // Every needle in `text`, by index.
  void Find(const std::string& text, std::set<size_t>* hits) const {
    auto tokens = Tokens(text);
    std::string upper;
    for (const auto& t : tokens) {
      auto it = by_first_token_.find(t);
      if (it == by_first_token_.end()) continue;
      for (size_t i : it->second) {
        const Needle& n = needles_[i];
        if (kept_.count(n.upper)) continue;
        if (n.tokens == 1) {
          hits->insert(i);
          continue;
        }
        if (upper.empty()) upper = Upper(text);
        if (upper.find(n.upper) != std::string::npos) hits->insert(i);
      }
    }
  }

  const std::string& kind(size_t i) const { return needles_[i].kind; }
  const std::string& value(size_t i) const { return needles_[i].value; }

 private:
  struct Needle {
    std::string kind, value, upper;
    size_t tokens = 1;
  };

  static std::string Trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
  }

  void Add(const std::string& kind, const std::string& value) {
    auto tokens = Tokens(value);
    if (tokens.empty()) return;
    std::string upper = Upper(value);
    if (!seen_.insert(upper).second) return;
    size_t i = needles_.size();
    needles_.push_back({kind, value, upper, tokens.size()});
    by_first_token_[tokens[0]].push_back(i);
  }

  std::vector<Needle> needles_;
  std::unordered_set<std::string> seen_, kept_;
  std::unordered_map<std::string, std::vector<size_t>> by_first_token_;
};

bool IsIdentifierName(const std::string& name) {
  for (const char* word : {" ID", "Number", "Identifier", "Locator", "UID"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

// The values of one DICOM JSON data set (any depth) that `options` do not keep.
void CollectDicom(const json& dataset, const deid::Options& options, Needles* needles) {
  if (!dataset.is_object()) return;
  const deid::Profile& profile = deid::Profile::Pinned();
  for (const auto& [key, element] : dataset.items()) {
    if (!element.is_object()) continue;
    std::string vr = element.value("vr", "");
    auto values = element.find("Value");
    if (values == element.end() || !values->is_array()) continue;
    if (vr == "SQ") {
      for (const auto& item : *values) CollectDicom(item, options, needles);
      continue;
    }
    uint32_t tag = static_cast<uint32_t>(std::strtoul(key.c_str(), nullptr, 16));
    if ((tag >> 16) & 1) continue;  // private: removed whole, looked for by what they hold below
    auto action = profile.ActionFor(tag, options);
    if (!action || *action == deid::Action::kKeep || *action == deid::Action::kClean) {
      for (const auto& v : *values)
        if (v.is_string()) needles->AddKept(v.get<std::string>());
      continue;
    }
    const deid::ProfileRow* row = profile.Find(tag);
    std::string kind = row != nullptr ? row->name : key;
    for (const auto& v : *values) {
      if (vr == "PN" && v.is_object()) {
        for (const char* group : {"Alphabetic", "Ideographic", "Phonetic"}) {
          if (v.contains(group) && v[group].is_string()) needles->AddName(kind, v[group]);
        }
      } else if (!v.is_string()) {
        continue;
      } else if (vr == "UI" || vr == "AE" || IsIdentifierName(kind)) {
        needles->AddIdentifier(kind, v.get<std::string>());
      } else if (vr == "LO" || vr == "SH" || vr == "ST" || vr == "LT" || vr == "UT" || vr == "UC" ||
                 vr == "UR") {
        needles->AddText(kind, v.get<std::string>());
      }
    }
  }
}

// Names, identifiers, telecom and addresses of a clinical FHIR resource, at any depth.
void CollectFhir(const json& v, Needles* needles) {
  if (v.is_array()) {
    for (const auto& item : v) CollectFhir(item, needles);
    return;
  }
  if (!v.is_object()) return;
  for (const auto& [name, value] : v.items()) {
    if (name == "name" && value.is_array()) {
      for (const auto& n : value) {
        if (!n.is_object()) continue;
        if (n.contains("family") && n["family"].is_string())
          needles->AddName("FHIR name", n["family"]);
        for (const auto& g : n.value("given", json::array()))
          if (g.is_string()) needles->AddName("FHIR name", g);
        if (n.contains("text") && n["text"].is_string()) needles->AddName("FHIR name", n["text"]);
      }
    } else if (name == "identifier") {
      for (const auto& i : value.is_array() ? value : json::array({value})) {
        if (i.is_object() && i.contains("value") && i["value"].is_string())
          needles->AddIdentifier("FHIR identifier", i["value"]);
      }
    } else if (name == "telecom" && value.is_array()) {
      for (const auto& t : value)
        if (t.is_object() && t.contains("value") && t["value"].is_string())
          needles->AddIdentifier("FHIR telecom", t["value"]);
    } else if (name == "address" && value.is_array()) {
      for (const auto& a : value) {
        if (!a.is_object()) continue;
        for (const auto& l : a.value("line", json::array()))
          if (l.is_string()) needles->AddText("FHIR address", l);
        for (const char* part : {"city", "postalCode"})
          if (a.contains(part) && a[part].is_string())
            needles->AddIdentifier("FHIR address", a[part]);
      }
    } else {
      CollectFhir(value, needles);
    }
  }
}

bool HasTable(const lake::Lake& lake, const lake::TableId& id) {
  return lake.OpenTable(id).Exists();
}

// The options recorded in the research lake's De-identification Method Code Sequences.
Result<deid::Options> RecordedOptions(const lake::Lake& research, lake::Engine& engine) {
  deid::Options options;
  if (!HasTable(research, lake::table::kImagingDicom)) return options;
  DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                      engine.Query("SELECT DISTINCT CAST(json_extract(metadata_string, "
                                   "'$.\"00120064\"') AS VARCHAR) FROM bronze.ImagingDicom"));
  for (const auto& row : r.rows) {
    if (row[0].is_null()) continue;
    json seq = json::parse(row[0].ToDisplay(), nullptr, false);
    for (const auto& item : seq.value("Value", json::array())) {
      std::string code;
      if (item.is_object() && item.contains("00080100"))
        code = item["00080100"].value("Value", json::array({""}))[0].get<std::string>();
      for (const auto& info : deid::AllOptions())
        if (code == info.code_value) options.applied.insert(info.option);
    }
  }
  return options;
}

class Checker {
 public:
  Checker(const lake::Lake& research, lake::Engine& research_engine, const lake::Lake& identified,
          lake::Engine& identified_engine, DeidCheckReport* report)
      : research_(research),
        re_(research_engine),
        identified_(identified),
        ie_(identified_engine),
        report_(report) {}

  Status Run() {
    DL_ASSIGN_OR_RETURN(options_, RecordedOptions(research_, re_));
    for (deid::Option o : options_.applied) report_->options.push_back(deid::InfoOf(o).name);
    DL_RETURN_IF_ERROR(CollectNeedles());
    report_->values = static_cast<int64_t>(needles_.size());
    if (needles_.size() == 0) {
      report_->notes.push_back(
          "the identified lake holds no identifying value to look for "
          "(no bronze.ImagingDicom or ClinicalFhir rows): nothing was checked");
    }
    DL_RETURN_IF_ERROR(SearchTables());
    DL_RETURN_IF_ERROR(SearchFiles());
    if (report_->cells == 0 && report_->files == 0) {
      report_->notes.push_back(
          "the research lake holds no table row and no text file: nothing "
          "was searched");
    }
    DL_RETURN_IF_ERROR(CompareBirthDates());
    for (const auto& [key, count] : found_) {
      report_->findings.push_back(
          {needles_.kind(key.first), needles_.value(key.first), key.second, count});
    }
    return Status::Ok();
  }

 private:
  Status CollectNeedles() {
    if (HasTable(identified_, lake::table::kImagingDicom)) {
      DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                          ie_.Query("SELECT DISTINCT metadata_string FROM bronze.ImagingDicom "
                                    "WHERE metadata_string IS NOT NULL"));
      for (const auto& row : r.rows) {
        CollectDicom(json::parse(row[0].ToDisplay(), nullptr, false), options_, &needles_);
      }
    }
    if (HasTable(identified_, lake::table::kClinicalFhir)) {
      DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                          ie_.Query("SELECT resource_string FROM bronze.ClinicalFhir WHERE "
                                    "resource_string IS NOT NULL"));
      for (const auto& row : r.rows) {
        CollectFhir(json::parse(row[0].ToDisplay(), nullptr, false), &needles_);
      }
    }
    return Status::Ok();
  }

  void Search(const std::string& text, const std::string& where) {
    std::set<size_t> hits;
    needles_.Find(text, &hits);
    for (size_t i : hits) ++found_[{i, where}];
  }

  Status SearchTables() {
    DL_ASSIGN_OR_RETURN(std::vector<lake::TableRef> tables, research_.DiscoverTables());
    for (const auto& t : tables) {
      std::string name = lake::QuoteIdent(t.lakehouse) + "." + lake::QuoteIdent(t.name);
      DL_ASSIGN_OR_RETURN(lake::QueryResult columns,
                          re_.Query("SELECT * FROM " + name + " LIMIT 0"));
      for (const auto& column : columns.column_names) {
        std::string c = lake::QuoteIdent(column);
        DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                            re_.Query(fmt::format("SELECT CAST({0} AS VARCHAR) FROM {1} WHERE {0} "
                                                  "IS NOT NULL",
                                                  c, name)));
        std::string where = t.lakehouse + "." + t.name + "." + column;
        for (const auto& row : r.rows) {
          ++report_->cells;
          Search(row[0].ToDisplay(), where);
        }
      }
    }
    return Status::Ok();
  }

  // Text files under the lakehouses' Files/ folders; stored DICOM originals (zipped) are read
  // through their bronze DICOM JSON instead.
  Status SearchFiles() {
    for (const auto& lakehouse : lake::Lakehouses()) {
      DL_RETURN_IF_ERROR(Walk(research_.FilesPath(lakehouse)));
    }
    return Status::Ok();
  }

  Status Walk(const std::string& folder) {
    if (!fs::IsDirectory(folder)) return Status::Ok();
    DL_ASSIGN_OR_RETURN(std::vector<fs::FileInfo> entries, fs::ListDir(folder));
    for (const auto& e : entries) {
      std::string path = fs::Join(folder, e.name);
      if (e.is_dir) {
        DL_RETURN_IF_ERROR(Walk(path));
        continue;
      }
      // File names are looked at too: a name can carry an identifier.
      Search(e.name, path + " (name)");
      bool text = false;
      for (const char* ext : {".ndjson", ".json", ".csv", ".txt"}) {
        size_t n = std::strlen(ext);
        text = text || (e.name.size() > n && e.name.compare(e.name.size() - n, n, ext) == 0);
      }
      if (!text || !e.is_regular) continue;
      DL_ASSIGN_OR_RETURN(std::string content, fs::ReadFile(path));
      ++report_->files;
      size_t start = 0;
      while (start < content.size()) {
        size_t end = content.find('\n', start);
        if (end == std::string::npos) end = content.size();
        Search(content.substr(start, end - start), path);
        start = end + 1;
      }
    }
    return Status::Ok();
  }

  // Each patient's birth date in the research lake must differ from the original (DICOM and
  // FHIR) unless the research lake keeps full dates.
  Status CompareBirthDates() {
    if (options_.Has(deid::Option::kRetainLongitudinalFullDates)) {
      report_->notes.push_back("birth dates not compared: the research lake keeps full dates");
      return Status::Ok();
    }
    std::string map_path =
        fs::Join(ResearchRecordFolder(identified_, research_.root()), "id_map.csv");
    DL_ASSIGN_OR_RETURN(auto map, ReadIdMap(map_path));
    if (map.empty()) {
      report_->notes.push_back("birth dates not compared: no id map at " + map_path +
                               " (made by `dicomlake deid` from this identified lake)");
      return Status::Ok();
    }
    DL_ASSIGN_OR_RETURN(auto original, BirthDates(identified_, ie_));
    DL_ASSIGN_OR_RETURN(auto research, BirthDates(research_, re_));
    for (const auto& [patient, dates] : original) {
      auto pseudonym = map.find(patient);
      if (pseudonym == map.end()) continue;
      auto r = research.find(pseudonym->second);
      if (r == research.end()) continue;
      ++report_->patients_compared;
      for (const auto& d : dates) {
        if (d.size() >= 8 && r->second.count(d)) {
          report_->findings.push_back(
              {"birth date of a patient", d, "patient " + pseudonym->second, 1});
        }
      }
    }
    return Status::Ok();
  }

  // PatientID -> birth dates as YYYYMMDD (DICOM Patient's Birth Date, FHIR Patient.birthDate of
  // a Patient whose identifier is the PatientID).
  static Result<std::map<std::string, std::set<std::string>>> BirthDates(const lake::Lake& lake,
                                                                         lake::Engine& engine) {
    std::map<std::string, std::set<std::string>> out;
    if (HasTable(lake, lake::table::kImagingDicom)) {
      DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                          engine.Query("SELECT DISTINCT patientId, patientBirthDate FROM "
                                       "bronze.ImagingDicom WHERE patientId IS NOT NULL AND "
                                       "patientBirthDate IS NOT NULL"));
      for (const auto& row : r.rows) {
        std::string d = row[1].ToDisplay();
        d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
        out[row[0].ToDisplay()].insert(d);
      }
    }
    if (HasTable(lake, lake::table::kClinicalFhir)) {
      DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                          engine.Query("SELECT resource_string FROM bronze.ClinicalFhir WHERE "
                                       "resourceType = 'Patient'"));
      for (const auto& row : r.rows) {
        json p = json::parse(row[0].ToDisplay(), nullptr, false);
        if (!p.is_object() || !p.contains("birthDate") || !p["birthDate"].is_string()) continue;
        std::string d = p["birthDate"].get<std::string>();
        d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
        for (const auto& i : p.value("identifier", json::array())) {
          if (i.is_object() && i.contains("value") && i["value"].is_string())
            out[i["value"].get<std::string>()].insert(d);
        }
      }
    }
    return out;
  }

  const lake::Lake& research_;
  lake::Engine& re_;
  const lake::Lake& identified_;
  lake::Engine& ie_;
  DeidCheckReport* report_;
  deid::Options options_;
  Needles needles_;
  std::map<std::pair<size_t, std::string>, int64_t> found_;
};

}  // namespace

Result<DeidCheckReport> CheckResearchLake(const lake::Lake& research, lake::Engine& research_engine,
                                          const lake::Lake& identified,
                                          lake::Engine& identified_engine) {
  if (fs::Absolute(research.root()) == fs::Absolute(identified.root())) {
    return InvalidArgument("the research lake and the identified lake are the same folder");
  }
  DeidCheckReport report;
  DL_RETURN_IF_ERROR(
      Checker(research, research_engine, identified, identified_engine, &report).Run());
  return report;
}

}  // namespace dicomlake::pipeline
