// Configuration of a lake (ARCHITECTURE section 6): a JSON file at
// `<lake>/admin/Files/system-configurations/dicomlake.json` with one object per section, e.g.
//   {"global": {"threads": 2}, "delta": {"checkpoint_interval": 10}}
// Precedence: command-line flag > config file > built-in default. Every key is declared once in
// config.cc (kKeys) with its type, range and documentation; an unknown key or a bad value is an
// error that names the key and the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::config {

inline constexpr const char* kConfigRelativePath =
    "admin/Files/system-configurations/dicomlake.json";

enum class Source { kDefault, kFile, kFlag };
const char* SourceName(Source source);

struct Entry {
  std::string key;    // "section.name"
  std::string value;  // JSON text of the effective value
  Source source = Source::kDefault;
  std::string doc;
};

// Typed views of the effective values.
struct GlobalSettings {
  int threads = 0;           // worker threads; 0 = all cores
  std::string memory_limit;  // engine memory limit, e.g. "4GB"; empty = engine default
  std::string default_namespace = "default";  // for files directly in a source folder
};
struct IngestSettings {
  bool compression_enabled = true;
  int compression_level = 6;
  bool move_failed_files = true;
  int64_t max_files_per_trigger = 1000;
  int64_t max_archive_bytes = 64LL << 30;
  double max_archive_ratio = 1000;
  std::string inventory_base_path;  // empty: bronze/Files/External/Imaging/DICOM
};
struct FhirSettings {
  int64_t max_records_per_ndjson = 1000;
  std::string default_timezone = "Z";     // zone of times without TimezoneOffsetFromUTC
  std::string patient_identifier_system;  // PatientID's system without IssuerOfPatientID
};
struct GoldSettings {
  std::string dicomweb_base_url;       // wadors_uri base; empty: no wadors_uri
  std::string athena_vocabulary_path;  // Athena download folder; empty: the shipped maps
};
struct DeidSettings {
  int date_shift_min_days = -3650;  // a patient's date shift range (never 0)
  int date_shift_max_days = -1;
  std::string identified_group;  // group of the identified lake's deid outputs and id maps
  std::string research_group;    // group of the research lake
};
struct DeltaSettings {
  int checkpoint_interval = 10;            // a checkpoint every N commits
  double vacuum_retain_hours = 168;        // files newer than this survive vacuum
  double tombstone_retention_hours = 168;  // removes kept in checkpoints
};
struct Settings {
  GlobalSettings global;
  IngestSettings ingest;
  FhirSettings fhir;
  GoldSettings gold;
  DeidSettings deid;
  DeltaSettings delta;
};

class Config {
 public:
  // Built-in defaults only.
  Config();

  // Reads `<lake_root>/<kConfigRelativePath>` when it exists, then applies `overrides`, each
  // "section.key=value" (value as JSON, or a bare string). Errors name the key and its origin.
  static Result<Config> Load(const std::string& lake_root,
                             const std::vector<std::string>& overrides = {});

  const Settings& settings() const { return settings_; }
  // Every key with its effective value and where it came from, in declaration order.
  const std::vector<Entry>& entries() const { return entries_; }
  // The effective configuration as a JSON document of the file's shape.
  std::string ToJson() const;

  // The file `dicomlake init` writes: every key at its default.
  static std::string DefaultFileJson();

 private:
  Status Set(const std::string& key, const std::string& json_value, Source source,
             const std::string& origin);
  void Refresh();

  std::vector<Entry> entries_;
  Settings settings_;
};

}  // namespace dicomlake::config
