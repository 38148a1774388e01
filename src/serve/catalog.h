// The lake as `serve` sees it: every instance of silver ImagingMetastore that is not deleted
// (patches applied), with where its stored original is (bronze ImagingDicom: file, archive
// member, transfer syntax, frame index), grouped into series and studies. QIDO-RS is answered
// from this index in memory; a study's and a series' attributes are those of their first
// instance, with the counts, Modalities in Study and SOP Classes in Study computed. Whole data
// sets (WADO-RS metadata, includefield beyond the index) are read from the tables on demand.
//
// A Catalog is one snapshot of the lake and never changes; serve/dicomweb_server.h loads a new
// one when the tables get a new version. Its methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "dicom/frame_index.h"
#include "lake/engine.h"
#include "lake/lake.h"
#include "serve/qido.h"

namespace dicomlake::serve {

using Json = nlohmann::json;  // attributes keyed by tag sort as PS3.18 F.2.1 asks

// Where an instance's bytes are: the stored original (lake::Lake::ResolvePath applied).
struct StoredFile {
  std::string path;
  std::string archive_member;  // "" for a plain file
  int64_t size = 0;            // of the DICOM file itself
  std::string transfer_syntax_uid;
  std::optional<dicom::FrameIndex> frames;  // none: no Pixel Data, or not indexable (deflated)
  uint32_t FrameCount() const;
};

// One attribute of CatalogAttributes() as the catalog keeps it: the strings QIDO matching
// compares (AttributeStrings) and what it takes to give it back as DICOM JSON. A lake of 100,000
// instances holds over a million of these: a parsed JSON object each would take several times
// the memory.
struct IndexedValue {
  enum class Form : uint8_t {
    kStrings,  // "Value" is `strings` ("" for null); no strings: no Value
    kNumbers,  // "Value" is `strings` as JSON numbers
    kJson,     // `json` is the attribute (person names, with all their groups)
  };
  uint8_t slot = 0;  // its index in CatalogAttributes()
  Form form = Form::kStrings;
  std::vector<std::string> strings;
  std::string json;
};

// The attributes of one study, series or instance, in the order of CatalogAttributes().
class IndexedAttributes {
 public:
  // nullptr when the entity lacks `key` (a DICOM JSON key, "00100010").
  const IndexedValue* Find(const std::string& key) const;
  // Its first string ("" when absent).
  const std::string& First(const std::string& key) const;
  // Keeps `attribute` (stored DICOM JSON) as attribute `slot`.
  void Set(size_t slot, const Json& attribute);
  void SetStrings(size_t slot, std::vector<std::string> strings, IndexedValue::Form form);
  // The attribute as DICOM JSON.
  static Json ToJson(const IndexedValue& value);

 private:
  std::vector<IndexedValue> values_;  // by slot
};

struct CatalogInstance {
  std::string uid;
  size_t series = 0;
  IndexedAttributes attributes;  // the instance-level attributes of CatalogAttributes()
  StoredFile file;
};

struct CatalogSeries {
  std::string uid;
  size_t study = 0;
  IndexedAttributes attributes;
  std::vector<size_t> instances;
};

struct CatalogStudy {
  std::string uid;
  IndexedAttributes attributes;
  std::vector<size_t> series;
  size_t instance_count = 0;
};

struct CatalogOptions {
  std::string namespace_name;  // only this sourceSystem; "": all (a UID twice: the newest)
  int engines = 2;             // SQL engines for data set reads, used one request at a time each
};

// The answer to a search: DICOM JSON objects, and how many matched before limit/offset.
struct SearchResult {
  std::vector<Json> matches;
  size_t total = 0;
  std::vector<std::string> warnings;  // HTTP Warning values (ignored parameters)
};

class Catalog {
 public:
  // Reads the lake's tables (the views are registered here, in engines of its own). kNotFound,
  // saying what to run, when the lake has no silver ImagingMetastore.
  static Result<std::shared_ptr<Catalog>> Load(const lake::Lake& lake,
                                               const CatalogOptions& options);

  // QIDO-RS. `study` / `series` restrict to the path's study and series ("": any); `base_url`
  // is the DICOMweb root for Retrieve URLs ("http://host:port/dicom-web").
  Result<SearchResult> Search(const QidoQuery& query, const std::string& study,
                              const std::string& series, const std::string& base_url) const;

  const CatalogStudy* FindStudy(const std::string& uid) const;
  const CatalogSeries* FindSeries(const std::string& study, const std::string& uid) const;
  const CatalogInstance* FindInstance(const std::string& study, const std::string& series,
                                      const std::string& uid) const;
  // The instances of a study, of one of its series ("": all), or one instance ("": all):
  // kNotFound names what the lake does not have.
  Result<std::vector<const CatalogInstance*>> Select(const std::string& study,
                                                     const std::string& series,
                                                     const std::string& instance) const;

  // The stored DICOM JSON of `instances` (silver ImagingMetastore metadata_string), in their
  // order.
  Result<std::vector<std::string>> DataSets(
      const std::vector<const CatalogInstance*>& instances) const;

  // The instance's URL under `base_url`.
  std::string InstanceUrl(const CatalogInstance& instance, const std::string& base_url) const;

  size_t study_count() const { return studies_.size(); }
  size_t series_count() const { return series_.size(); }
  size_t instance_count() const { return instances_.size(); }
  const std::vector<CatalogStudy>& studies() const { return studies_; }
  const std::vector<CatalogSeries>& series() const { return series_; }
  const std::vector<CatalogInstance>& instances() const { return instances_; }

  ~Catalog();

 private:
  Catalog() = default;
  // Runs `sql` on an idle engine of this snapshot.
  Result<lake::QueryResult> Query(const std::string& sql) const;

  const IndexedValue* Attribute(Level level, size_t index, const std::string& key) const;
  Json Answer(Level level, size_t index, const QidoQuery& query, bool with_parents,
              const std::string& base_url) const;

  std::string source_relation_;  // the metastore rows served, as SQL
  std::unique_ptr<lake::Lake> lake_;
  int engines_ = 2;
  std::vector<CatalogStudy> studies_;
  std::vector<CatalogSeries> series_;
  std::vector<CatalogInstance> instances_;
  std::unordered_map<std::string, size_t> study_index_, series_index_, instance_index_;

  mutable std::mutex engines_mutex_;
  mutable std::vector<std::unique_ptr<lake::Engine>> idle_engines_;
};

// The strings MatchValues compares of one DICOM JSON attribute: a person name's Alphabetic
// group, numbers as JSON writes them.
std::vector<std::string> AttributeStrings(const Json& attribute);

}  // namespace dicomlake::serve
