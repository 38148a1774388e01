#include "config/config.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/fs.h"

namespace dicomlake::config {
namespace {

using json = nlohmann::ordered_json;

enum class Type { kBool, kInt, kNumber, kString };

struct KeySpec {
  const char* key;
  Type type;
  const char* default_json;
  double min, max;  // for kInt and kNumber
  const char* doc;
};

// The declaration of every configuration key. Add a key here and read it in Refresh().
const KeySpec kKeys[] = {
    {"global.threads", Type::kInt, "0", 0, 1024, "worker threads; 0 uses every core"},
    {"global.memory_limit", Type::kString, "\"\"", 0, 0,
     "memory limit of the SQL engine, e.g. \"4GB\"; empty uses DuckDB's default (80% of RAM)"},
    {"global.default_namespace", Type::kString, "\"default\"", 0, 0,
     "namespace (source system) of files placed directly in a source folder, not in a subfolder"},
    {"ingest.compression_enabled", Type::kBool, "true", 0, 0,
     "Ingest pattern: keep each original as a one-entry ZIP under Files/Process (false: an exact "
     "copy)"},
    {"ingest.compression_level", Type::kInt, "1", 0, 9,
     "deflate level of the Process copies (0 stores; 1 is about twice as fast as 6 for ~4% "
     "more bytes on CT/MR)"},
    {"ingest.move_failed_files", Type::kBool, "true", 0, 0,
     "Ingest pattern: move files that fail to Files/Failed (false: leave them in Ingest)"},
    {"ingest.max_files_per_trigger", Type::kInt, "1000", 1, 10000000,
     "files per batch; each batch is one commit to bronze"},
    {"ingest.max_archive_bytes", Type::kInt, "68719476736", 1, 1e15,
     "an archive expanding beyond this many bytes is refused"},
    {"ingest.max_archive_ratio", Type::kNumber, "1000", 1, 1e9,
     "an archive expanding more than this many times its size is refused as a zip bomb"},
    {"ingest.inventory_base_path", Type::kString, "\"\"", 0, 0,
     "inventory pattern: folder that relative names in listings are resolved against (empty: "
     "bronze/Files/External/Imaging/DICOM)"},
    {"fhir.max_records_per_ndjson", Type::kInt, "1000", 1, 10000000,
     "ImagingStudy resources per NDJSON file (Fabric's default is 1000)"},
    {"fhir.default_timezone", Type::kString, "\"Z\"", 0, 0,
     "zone of DICOM times without TimezoneOffsetFromUTC (0008,0201): \"Z\" or "
     "\"+HH:MM\"/\"-HH:MM\" "
     "(FHIR requires a zone whenever a time is given)"},
    {"fhir.patient_identifier_system", Type::kString, "\"\"", 0, 0,
     "identifier system of PatientID when IssuerOfPatientID is absent, e.g. your MRN system URI "
     "(empty: urn:dicomlake:namespace:<namespace>)"},
    {"gold.dicomweb_base_url", Type::kString, "\"\"", 0, 0,
     "DICOMweb base URL; when set, image_occurrence.wadors_uri = <url>/studies/<study>/series/"
     "<series>"},
    {"gold.athena_vocabulary_path", Type::kString, "\"\"", 0, 0,
     "folder of an OHDSI Athena vocabulary download (CONCEPT.csv, CONCEPT_RELATIONSHIP.csv); "
     "when set, concept lookups use it instead of the shipped maps"},
    {"deid.date_shift_min_days", Type::kInt, "-3650", -36500, 36500,
     "de-identification with retain-longitudinal-modified-dates: the earliest a patient's dates "
     "move (days)"},
    {"deid.date_shift_max_days", Type::kInt, "-1", -36500, 36500,
     "the latest a patient's dates move (days); the shift is never 0"},
    {"deid.identified_group", Type::kString, "\"\"", 0, 0,
     "group given the identified lake's files and folders that deid writes, and its id map "
     "(group-readable); empty: the user's group"},
    {"deid.research_group", Type::kString, "\"\"", 0, 0,
     "group given every file and folder of the research lake (group-readable, not "
     "world-readable); empty: the user's group"},
    {"delta.checkpoint_interval", Type::kInt, "10", 1, 1000000,
     "write a Delta checkpoint every N commits (Spark's default is 10)"},
    {"delta.vacuum_retain_hours", Type::kNumber, "168", 0, 1e7,
     "vacuum keeps unreferenced data files younger than this (hours)"},
    {"delta.tombstone_retention_hours", Type::kNumber, "168", 0, 1e7,
     "remove actions younger than this are kept in checkpoints (hours)"},
};

const KeySpec* FindKey(const std::string& key) {
  for (const auto& k : kKeys) {
    if (key == k.key) return &k;
  }
  return nullptr;
}

// "Z" or "+HH:MM"/"-HH:MM" within -12:00..+14:00 (the zones FHIR's dateTime accepts).
bool IsZone(const std::string& z) {
  if (z == "Z") return true;
  if (z.size() != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':') return false;
  for (size_t i : {1, 2, 4, 5})
    if (z[i] < '0' || z[i] > '9') return false;
  int minutes = ((z[1] - '0') * 10 + (z[2] - '0')) * 60 + (z[4] - '0') * 10 + (z[5] - '0');
  if ((z[4] - '0') > 5) return false;
  return z[0] == '+' ? minutes <= 14 * 60 : minutes <= 12 * 60;
}

Status CheckValue(const KeySpec& spec, const json& v, const std::string& origin) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument(origin + ": key \"" + spec.key + "\": " + why);
  };
  switch (spec.type) {
    case Type::kBool:
      if (!v.is_boolean()) return bad("must be true or false, got " + v.dump());
      break;
    case Type::kInt:
      if (!v.is_number_integer()) return bad("must be a whole number, got " + v.dump());
      if (v.get<double>() < spec.min || v.get<double>() > spec.max) {
        return bad("must be between " + json(static_cast<int64_t>(spec.min)).dump() + " and " +
                   json(static_cast<int64_t>(spec.max)).dump() + ", got " + v.dump());
      }
      break;
    case Type::kNumber:
      if (!v.is_number()) return bad("must be a number, got " + v.dump());
      if (!std::isfinite(v.get<double>()) || v.get<double>() < spec.min ||
          v.get<double>() > spec.max) {
        return bad("must be between " + json(spec.min).dump() + " and " + json(spec.max).dump() +
                   ", got " + v.dump());
      }
      break;
    case Type::kString:
      if (!v.is_string()) return bad("must be a string, got " + v.dump());
      if (std::string(spec.key) == "fhir.default_timezone" && !IsZone(v.get<std::string>()))
        return bad(
            "must be \"Z\" or an offset \"+HH:MM\"/\"-HH:MM\" between -12:00 and +14:00, got " +
            v.dump());
      break;
  }
  return Status::Ok();
}

}  // namespace

const char* SourceName(Source source) {
  switch (source) {
    case Source::kDefault:
      return "default";
    case Source::kFile:
      return "file";
    case Source::kFlag:
      return "flag";
  }
  return "?";
}

Config::Config() {
  for (const auto& k : kKeys)
    entries_.push_back(Entry{k.key, k.default_json, Source::kDefault, k.doc});
  Refresh();
}

Status Config::Set(const std::string& key, const std::string& json_value, Source source,
                   const std::string& origin) {
  const KeySpec* spec = FindKey(key);
  if (!spec) {
    std::string known;
    for (const auto& k : kKeys) known += (known.empty() ? "" : ", ") + std::string(k.key);
    return InvalidArgument(origin + ": unknown key \"" + key + "\" (known keys: " + known + ")");
  }
  json v = json::parse(json_value, nullptr, false);
  // A bare word on the command line is a string: --set global.memory_limit=4GB.
  if (v.is_discarded()) {
    if (source != Source::kFlag)
      return InvalidArgument(origin + ": key \"" + key + "\": value is not JSON");
    v = json_value;
  }
  DL_RETURN_IF_ERROR(CheckValue(*spec, v, origin));
  for (auto& e : entries_) {
    if (e.key == key) {
      e.value = v.dump();
      e.source = source;
    }
  }
  return Status::Ok();
}

void Config::Refresh() {
  auto get = [this](const char* key) {
    for (const auto& e : entries_) {
      if (e.key == key) return json::parse(e.value);
    }
    return json();
  };
  settings_.global.threads = get("global.threads").get<int>();
  settings_.global.memory_limit = get("global.memory_limit").get<std::string>();
  settings_.global.default_namespace = get("global.default_namespace").get<std::string>();
  settings_.ingest.compression_enabled = get("ingest.compression_enabled").get<bool>();
  settings_.ingest.compression_level = get("ingest.compression_level").get<int>();
  settings_.ingest.move_failed_files = get("ingest.move_failed_files").get<bool>();
  settings_.ingest.max_files_per_trigger = get("ingest.max_files_per_trigger").get<int64_t>();
  settings_.ingest.max_archive_bytes = get("ingest.max_archive_bytes").get<int64_t>();
  settings_.ingest.max_archive_ratio = get("ingest.max_archive_ratio").get<double>();
  settings_.ingest.inventory_base_path = get("ingest.inventory_base_path").get<std::string>();
  settings_.fhir.max_records_per_ndjson = get("fhir.max_records_per_ndjson").get<int64_t>();
  settings_.fhir.default_timezone = get("fhir.default_timezone").get<std::string>();
  settings_.fhir.patient_identifier_system =
      get("fhir.patient_identifier_system").get<std::string>();
  settings_.gold.dicomweb_base_url = get("gold.dicomweb_base_url").get<std::string>();
  settings_.gold.athena_vocabulary_path = get("gold.athena_vocabulary_path").get<std::string>();
  settings_.deid.date_shift_min_days = get("deid.date_shift_min_days").get<int>();
  settings_.deid.date_shift_max_days = get("deid.date_shift_max_days").get<int>();
  settings_.deid.identified_group = get("deid.identified_group").get<std::string>();
  settings_.deid.research_group = get("deid.research_group").get<std::string>();
  settings_.delta.checkpoint_interval = get("delta.checkpoint_interval").get<int>();
  settings_.delta.vacuum_retain_hours = get("delta.vacuum_retain_hours").get<double>();
  settings_.delta.tombstone_retention_hours = get("delta.tombstone_retention_hours").get<double>();
}

Result<Config> Config::Load(const std::string& lake_root,
                            const std::vector<std::string>& overrides) {
  Config config;
  std::string path = fs::Join(lake_root, kConfigRelativePath);
  auto text = fs::ReadFile(path);
  if (text.ok()) {
    json doc = json::parse(*text, nullptr, false, /*ignore_comments=*/true);
    if (doc.is_discarded()) return InvalidArgument(path + ": not valid JSON");
    if (!doc.is_object()) return InvalidArgument(path + ": must hold a JSON object of sections");
    for (const auto& [section, body] : doc.items()) {
      if (!body.is_object()) {
        return InvalidArgument(path + ": \"" + section + "\" must be an object of keys (e.g. {\"" +
                               section + "\": {\"key\": value}})");
      }
      for (const auto& [key, value] : body.items()) {
        DL_RETURN_IF_ERROR(config.Set(section + "." + key, value.dump(), Source::kFile, path));
      }
    }
  } else if (text.status().code() != StatusCode::kNotFound) {
    return text.status();
  }
  for (const auto& o : overrides) {
    auto eq = o.find('=');
    if (eq == std::string::npos)
      return InvalidArgument("--set " + o + ": expected section.key=value");
    DL_RETURN_IF_ERROR(config.Set(o.substr(0, eq), o.substr(eq + 1), Source::kFlag, "--set " + o));
  }
  config.Refresh();
  return config;
}

std::string Config::ToJson() const {
  json doc = json::object();
  for (const auto& e : entries_) {
    auto dot = e.key.find('.');
    doc[e.key.substr(0, dot)][e.key.substr(dot + 1)] = json::parse(e.value);
  }
  return doc.dump(2) + "\n";
}

std::string Config::DefaultFileJson() { return Config().ToJson(); }

}  // namespace dicomlake::config
