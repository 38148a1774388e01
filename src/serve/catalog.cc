#include "serve/catalog.h"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <set>

#include "pipeline/frame_access.h"
#include "serve/bulk_data.h"

namespace dicomlake::serve {
namespace {

size_t SlotOf(const char* key) {
  return static_cast<size_t>(FindCatalogAttribute(key) - CatalogAttributes().data());
}

void SetNumber(IndexedAttributes* attributes, const char* key, size_t n) {
  attributes->SetStrings(SlotOf(key), {std::to_string(n)}, IndexedValue::Form::kNumbers);
}

// The first value of an attribute as a number, for ordering instances (no value: last).
double NumberOf(const IndexedAttributes& attributes, const char* key) {
  const std::string& first = attributes.First(key);
  char* end = nullptr;
  const double n = std::strtod(first.c_str(), &end);
  return first.empty() || end == first.c_str() ? 1e300 : n;
}

const std::string kNoString;
const std::vector<std::string> kNoStrings;

std::string Retrieve(const std::string& base, const std::string& study, const std::string& series,
                     const std::string& instance) {
  std::string url = base + "/studies/" + study;
  if (!series.empty()) url += "/series/" + series;
  if (!instance.empty()) url += "/instances/" + instance;
  return url;
}

}  // namespace

uint32_t StoredFile::FrameCount() const {
  return frames && !frames->empty() ? frames->back().frame_number : 0;
}

std::vector<std::string> AttributeStrings(const Json& attribute) {
  std::vector<std::string> out;
  auto v = attribute.find("Value");
  if (v == attribute.end() || !v->is_array()) return out;
  for (const Json& item : *v) {
    if (item.is_string()) {
      out.push_back(item.get<std::string>());
    } else if (item.is_number()) {
      out.push_back(item.dump());
    } else if (item.is_object()) {
      auto a = item.find("Alphabetic");
      out.push_back(a != item.end() && a->is_string() ? a->get<std::string>() : "");
    } else {
      out.emplace_back();
    }
  }
  return out;
}

const IndexedValue* IndexedAttributes::Find(const std::string& key) const {
  const LevelAttribute* a = FindCatalogAttribute(key);
  if (a == nullptr) return nullptr;
  const auto slot = static_cast<uint8_t>(a - CatalogAttributes().data());
  auto it = std::lower_bound(values_.begin(), values_.end(), slot,
                             [](const IndexedValue& v, uint8_t s) { return v.slot < s; });
  return it != values_.end() && it->slot == slot ? &*it : nullptr;
}

const std::string& IndexedAttributes::First(const std::string& key) const {
  const IndexedValue* v = Find(key);
  return v != nullptr && !v->strings.empty() ? v->strings.front() : kNoString;
}

void IndexedAttributes::SetStrings(size_t slot, std::vector<std::string> strings,
                                   IndexedValue::Form form) {
  IndexedValue v;
  v.slot = static_cast<uint8_t>(slot);
  v.form = form;
  v.strings = std::move(strings);
  v.strings.shrink_to_fit();
  auto it = std::lower_bound(values_.begin(), values_.end(), v.slot,
                             [](const IndexedValue& e, uint8_t s) { return e.slot < s; });
  if (it != values_.end() && it->slot == v.slot) {
    *it = std::move(v);
  } else {
    values_.insert(it, std::move(v));
  }
}

void IndexedAttributes::Set(size_t slot, const Json& attribute) {
  // Strings and nulls, or numbers and nulls, are kept as strings; anything else (person names'
  // groups) as its JSON text.
  bool strings = true, numbers = true;
  if (auto v = attribute.find("Value"); v != attribute.end() && v->is_array()) {
    for (const Json& item : *v) {
      strings = strings && (item.is_string() || item.is_null());
      numbers = numbers && (item.is_number() || item.is_null());
    }
  }
  auto form = strings   ? IndexedValue::Form::kStrings
              : numbers ? IndexedValue::Form::kNumbers
                        : IndexedValue::Form::kJson;
  SetStrings(slot, AttributeStrings(attribute), form);
  if (form == IndexedValue::Form::kJson) {
    auto it = std::lower_bound(values_.begin(), values_.end(), static_cast<uint8_t>(slot),
                               [](const IndexedValue& e, uint8_t s) { return e.slot < s; });
    it->json = attribute.dump();
    it->json.shrink_to_fit();
  }
}

Json IndexedAttributes::ToJson(const IndexedValue& value) {
  if (value.form == IndexedValue::Form::kJson) return Json::parse(value.json, nullptr, false);
  Json out = {{"vr", CatalogAttributes()[value.slot].vr}};
  if (value.strings.empty()) return out;
  Json& items = out["Value"] = Json::array();
  for (const std::string& s : value.strings) {
    if (s.empty()) {
      items.push_back(nullptr);
    } else if (value.form == IndexedValue::Form::kNumbers) {
      items.push_back(Json::parse(s, nullptr, false));
    } else {
      items.push_back(s);
    }
  }
  return out;
}

Catalog::~Catalog() = default;

Result<std::shared_ptr<Catalog>> Catalog::Load(const lake::Lake& lake,
                                               const CatalogOptions& options) {
  DL_ASSIGN_OR_RETURN(std::unique_ptr<lake::Engine> engine, lake::Engine::Open());
  std::vector<std::string> warnings;
  DL_RETURN_IF_ERROR(lake.RegisterViews(*engine, &warnings));
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult exists,
      engine->Query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'silver' AND "
                    "table_name = 'ImagingMetastore'"));
  if (exists.rows.empty()) {
    return NotFound(
        "the lake has no silver.ImagingMetastore yet: run the pipeline first (dicomlake run)");
  }
  DL_RETURN_IF_ERROR(pipeline::RequireBronze(*engine));
  DL_ASSIGN_OR_RETURN(std::string bronze, pipeline::InstancesRelation(*engine));

  std::shared_ptr<Catalog> c(new Catalog());
  c->lake_ = std::make_unique<lake::Lake>(lake);
  c->engines_ = std::max(1, options.engines);
  std::string where =
      "NOT coalesce(msftIsDeleted, false) AND sopInstanceUid IS NOT NULL AND "
      "seriesInstanceUid IS NOT NULL AND studyInstanceUid IS NOT NULL";
  if (!options.namespace_name.empty())
    where += " AND msftSourceSystem = " + lake::QuoteLiteral(options.namespace_name);
  c->source_relation_ = fmt::format(
      "(SELECT * FROM silver.ImagingMetastore WHERE {} QUALIFY row_number() OVER (PARTITION BY "
      "sopInstanceUid ORDER BY sourceModifiedAt DESC NULLS LAST, msftSourceSystem) = 1)",
      where);

  std::vector<const LevelAttribute*> stored;
  std::string paths;
  for (const auto& a : CatalogAttributes()) {
    if (a.computed) continue;
    stored.push_back(&a);
    paths += std::string(paths.empty() ? "" : ", ") + "'$.\"" + a.key + "\"'";
  }
  // Read into a temporary table (columnar, compact) and taken from it a page at a time: the
  // whole result as rows at once would take about 2 GB at 100,000 instances.
  DL_RETURN_IF_ERROR(
      engine
          ->Query(fmt::format(
              "CREATE TEMP TABLE catalog_rows AS SELECT m.studyInstanceUid, m.seriesInstanceUid, "
              "m.sopInstanceUid, "
              "json_extract(m.metadata_string, [{}])::VARCHAR[], b.filePath, b.archiveMember, "
              "b.fileSize, b.transferSyntaxUid, b.frameIndex FROM {} m LEFT JOIN (SELECT * FROM {} "
              "WHERE operation IS NULL) b ON b.sopInstanceUid = m.sopInstanceUid AND "
              "b.sourceSystem "
              "= m.msftSourceSystem AND b.filePath = m.filePath QUALIFY row_number() OVER "
              "(PARTITION BY m.sopInstanceUid ORDER BY b.createdDatetime DESC NULLS LAST) = 1 "
              "ORDER BY m.studyInstanceUid, m.seriesInstanceUid, m.sopInstanceUid",
              paths, c->source_relation_, bronze))
          .status());

  constexpr int64_t kPage = 10000;
  lake::QueryResult rows;
  for (int64_t page = 0; page == 0 || !rows.rows.empty(); ++page) {
    DL_ASSIGN_OR_RETURN(
        rows, engine->Query(fmt::format(
                  "SELECT * FROM catalog_rows WHERE rowid >= {} AND rowid < {} ORDER BY rowid",
                  page * kPage, (page + 1) * kPage)));
    for (lake::Row& row : rows.rows) {
      const std::string study = row[0].text(), series = row[1].text(), sop = row[2].text();
      IndexedAttributes attributes[3];
      for (size_t k = 0; k < stored.size() && k < row[3].items.size(); ++k) {
        const lake::Value& v = row[3].items[k];
        if (v.is_null()) continue;
        Json a = Json::parse(v.s, nullptr, false);
        if (a.is_discarded() || !a.is_object()) continue;
        attributes[static_cast<int>(stored[k]->level)].Set(
            static_cast<size_t>(stored[k] - CatalogAttributes().data()), a);
      }
      auto st = c->study_index_.find(study);
      if (st == c->study_index_.end()) {
        st = c->study_index_.emplace(study, c->studies_.size()).first;
        c->studies_.push_back({study, std::move(attributes[0]), {}, 0});
      }
      const std::string series_key = study + "/" + series;
      auto se = c->series_index_.find(series_key);
      if (se == c->series_index_.end()) {
        se = c->series_index_.emplace(series_key, c->series_.size()).first;
        c->series_.push_back({series, st->second, std::move(attributes[1]), {}});
        c->studies_[st->second].series.push_back(se->second);
      }
      CatalogInstance in;
      in.uid = sop;
      in.series = se->second;
      in.attributes = std::move(attributes[2]);
      in.file.path = row[4].is_null() ? "" : lake.ResolvePath(row[4].s);
      in.file.archive_member = row[5].text();
      in.file.size = row[6].is_null() ? 0 : row[6].i;
      in.file.transfer_syntax_uid = row[7].text();
      if (!row[8].is_null()) {
        DL_ASSIGN_OR_RETURN(in.file.frames, pipeline::FrameIndexFromValue(row[8]));
      }
      c->instance_index_.emplace(sop, c->instances_.size());
      c->series_[se->second].instances.push_back(c->instances_.size());
      c->studies_[st->second].instance_count++;
      c->instances_.push_back(std::move(in));
    }
  }

  // Instances in the order of their Instance Number; the computed attributes.
  for (CatalogSeries& s : c->series_) {
    std::stable_sort(s.instances.begin(), s.instances.end(), [&](size_t a, size_t b) {
      return NumberOf(c->instances_[a].attributes, "00200013") <
             NumberOf(c->instances_[b].attributes, "00200013");
    });
    SetNumber(&s.attributes, "00201209", s.instances.size());
  }
  for (CatalogStudy& st : c->studies_) {
    std::stable_sort(st.series.begin(), st.series.end(), [&](size_t a, size_t b) {
      return NumberOf(c->series_[a].attributes, "00200011") <
             NumberOf(c->series_[b].attributes, "00200011");
    });
    std::set<std::string> modalities, classes;
    for (size_t s : st.series) {
      if (const IndexedValue* m = c->series_[s].attributes.Find("00080060"))
        for (const auto& v : m->strings)
          if (!v.empty()) modalities.insert(v);
      for (size_t i : c->series_[s].instances)
        if (const IndexedValue* k = c->instances_[i].attributes.Find("00080016"))
          for (const auto& v : k->strings)
            if (!v.empty()) classes.insert(v);
    }
    const auto strings = IndexedValue::Form::kStrings;
    st.attributes.SetStrings(SlotOf("00080056"), {"ONLINE"}, strings);
    st.attributes.SetStrings(SlotOf("00080061"), {modalities.begin(), modalities.end()}, strings);
    st.attributes.SetStrings(SlotOf("00080062"), {classes.begin(), classes.end()}, strings);
    SetNumber(&st.attributes, "00201206", st.series.size());
    SetNumber(&st.attributes, "00201208", st.instance_count);
  }
  // The engine that read the whole metastore is closed rather than kept for data set reads: it
  // holds on to the memory of that read (about 1 GB at 100,000 instances), and so does the C
  // heap until it is trimmed.
  engine.reset();
  rows = {};
  malloc_trim(0);
  return c;
}

Result<lake::QueryResult> Catalog::Query(const std::string& sql) const {
  std::unique_ptr<lake::Engine> engine;
  {
    std::lock_guard<std::mutex> lock(engines_mutex_);
    if (!idle_engines_.empty()) {
      engine = std::move(idle_engines_.back());
      idle_engines_.pop_back();
    }
  }
  if (!engine) {
    DL_ASSIGN_OR_RETURN(engine, lake::Engine::Open());
    std::vector<std::string> warnings;
    DL_RETURN_IF_ERROR(lake_->RegisterViews(*engine, &warnings));
  }
  Result<lake::QueryResult> r = engine->Query(sql);
  std::lock_guard<std::mutex> lock(engines_mutex_);
  if (static_cast<int>(idle_engines_.size()) < engines_) idle_engines_.push_back(std::move(engine));
  return r;
}

const CatalogStudy* Catalog::FindStudy(const std::string& uid) const {
  auto it = study_index_.find(uid);
  return it == study_index_.end() ? nullptr : &studies_[it->second];
}

const CatalogSeries* Catalog::FindSeries(const std::string& study, const std::string& uid) const {
  auto it = series_index_.find(study + "/" + uid);
  return it == series_index_.end() ? nullptr : &series_[it->second];
}

const CatalogInstance* Catalog::FindInstance(const std::string& study, const std::string& series,
                                             const std::string& uid) const {
  auto it = instance_index_.find(uid);
  if (it == instance_index_.end()) return nullptr;
  const CatalogInstance& in = instances_[it->second];
  const CatalogSeries& se = series_[in.series];
  if ((!series.empty() && se.uid != series) || (!study.empty() && studies_[se.study].uid != study))
    return nullptr;
  return &in;
}

Result<std::vector<const CatalogInstance*>> Catalog::Select(const std::string& study,
                                                            const std::string& series,
                                                            const std::string& instance) const {
  std::vector<const CatalogInstance*> out;
  const CatalogStudy* st = FindStudy(study);
  if (st == nullptr) return NotFound("the lake has no study " + study);
  if (!instance.empty()) {
    const CatalogInstance* in = FindInstance(study, series, instance);
    if (in == nullptr) return NotFound("the lake has no instance " + instance + " in that series");
    out.push_back(in);
    return out;
  }
  if (!series.empty()) {
    const CatalogSeries* se = FindSeries(study, series);
    if (se == nullptr) return NotFound("the lake has no series " + series + " in that study");
    for (size_t i : se->instances) out.push_back(&instances_[i]);
    return out;
  }
  for (size_t s : st->series)
    for (size_t i : series_[s].instances) out.push_back(&instances_[i]);
  return out;
}

Result<std::vector<std::string>> Catalog::DataSets(
    const std::vector<const CatalogInstance*>& instances) const {
  std::unordered_map<std::string, std::string> found;
  constexpr size_t kChunk = 500;
  for (size_t from = 0; from < instances.size(); from += kChunk) {
    std::string list;
    for (size_t k = from; k < std::min(instances.size(), from + kChunk); ++k)
      list += (list.empty() ? "" : ", ") + lake::QuoteLiteral(instances[k]->uid);
    DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                        Query(fmt::format("SELECT sopInstanceUid, metadata_string FROM {} WHERE "
                                          "sopInstanceUid IN ({})",
                                          source_relation_, list)));
    for (lake::Row& row : r.rows) found[row[0].text()] = row[1].text();
  }
  std::vector<std::string> out;
  for (const CatalogInstance* in : instances) {
    auto it = found.find(in->uid);
    if (it == found.end()) return NotFound("instance " + in->uid + " is no longer in the lake");
    out.push_back(std::move(it->second));
  }
  return out;
}

std::string Catalog::InstanceUrl(const CatalogInstance& instance,
                                 const std::string& base_url) const {
  const CatalogSeries& se = series_[instance.series];
  return Retrieve(base_url, studies_[se.study].uid, se.uid, instance.uid);
}

// The attribute `key` of entity `index` at `level`, or of its series or study.
const IndexedValue* Catalog::Attribute(Level level, size_t index, const std::string& key) const {
  const IndexedAttributes& own = level == Level::kStudy    ? studies_[index].attributes
                                 : level == Level::kSeries ? series_[index].attributes
                                                           : instances_[index].attributes;
  if (const IndexedValue* v = own.Find(key)) return v;
  if (level == Level::kInstance) return Attribute(Level::kSeries, instances_[index].series, key);
  if (level == Level::kSeries) return Attribute(Level::kStudy, series_[index].study, key);
  return nullptr;
}

Json Catalog::Answer(Level level, size_t index, const QidoQuery& query, bool with_parents,
                     const std::string& base_url) const {
  Json out = Json::object();
  for (const LevelAttribute& a : CatalogAttributes()) {
    const bool own = a.level == level;
    const bool parent = a.level < level && (with_parents || query.include_all);
    const bool parent_uid =
        a.level < level && (std::string(a.key) == "0020000D" || std::string(a.key) == "0020000E");
    if (!own && !parent && !parent_uid) continue;
    if (std::string(a.key) == "00081190") continue;
    const IndexedValue* v = Attribute(level, index, a.key);
    out[a.key] = v != nullptr ? IndexedAttributes::ToJson(*v) : Json{{"vr", a.vr}};
  }
  for (const MatchKey& k : query.keys) {
    if (out.contains(k.key)) continue;
    const IndexedValue* v = Attribute(level, index, k.key);
    out[k.key] = v != nullptr ? IndexedAttributes::ToJson(*v) : Json{{"vr", k.vr}};
  }
  for (const std::string& key : query.include) {
    if (out.contains(key)) continue;
    if (level == Level::kStudy && key == "00080060") {
      // A study's Modality, as viewers ask for it (OHIF): its series' modalities.
      Json modalities = IndexedAttributes::ToJson(*studies_[index].attributes.Find("00080061"));
      modalities["vr"] = "CS";
      out[key] = std::move(modalities);
    } else if (const IndexedValue* v = Attribute(level, index, key)) {
      out[key] = IndexedAttributes::ToJson(*v);
    }
  }
  std::string study, series, instance;
  if (level == Level::kInstance) {
    instance = instances_[index].uid;
    index = instances_[index].series;
  }
  if (level != Level::kStudy) {
    series = series_[index].uid;
    index = series_[index].study;
  }
  study = studies_[index].uid;
  out["00081190"] = {{"vr", "UR"},
                     {"Value", Json::array({Retrieve(base_url, study, series, instance)})}};
  return out;
}

Result<SearchResult> Catalog::Search(const QidoQuery& query, const std::string& study,
                                     const std::string& series, const std::string& base_url) const {
  SearchResult result;
  for (const std::string& p : query.ignored)
    result.warnings.push_back("299 dicomlake \"the query parameter " + p +
                              " is not supported and was ignored\"");
  std::vector<size_t> candidates;
  if (query.level == Level::kStudy) {
    for (size_t i = 0; i < studies_.size(); ++i) candidates.push_back(i);
  } else if (query.level == Level::kSeries) {
    if (!study.empty()) {
      if (const CatalogStudy* st = FindStudy(study)) candidates = st->series;
    } else {
      for (size_t i = 0; i < series_.size(); ++i) candidates.push_back(i);
    }
  } else if (!series.empty()) {
    if (const CatalogSeries* se = FindSeries(study, series)) candidates = se->instances;
  } else if (!study.empty()) {
    if (const CatalogStudy* st = FindStudy(study))
      for (size_t s : st->series)
        candidates.insert(candidates.end(), series_[s].instances.begin(),
                          series_[s].instances.end());
  } else {
    for (size_t i = 0; i < instances_.size(); ++i) candidates.push_back(i);
  }

  // Matching keys the catalog does not hold are matched on the data sets (of the first
  // instance of a study or series).
  std::vector<const MatchKey*> indexed, unindexed;
  for (const MatchKey& k : query.keys) {
    const LevelAttribute* a = FindCatalogAttribute(k.key);
    (a != nullptr && a->level <= query.level ? indexed : unindexed).push_back(&k);
  }
  auto representative = [&](size_t index) -> const CatalogInstance* {
    if (query.level == Level::kInstance) return &instances_[index];
    size_t series_index = index;
    if (query.level == Level::kStudy) {
      if (studies_[index].series.empty()) return nullptr;
      series_index = studies_[index].series.front();
    }
    const CatalogSeries& s = series_[series_index];
    return s.instances.empty() ? nullptr : &instances_[s.instances.front()];
  };

  std::vector<size_t> matched;
  for (size_t index : candidates) {
    bool ok = true;
    for (const MatchKey* k : indexed) {
      const IndexedValue* v = Attribute(query.level, index, k->key);
      if (!MatchValues(k->vr, k->value, v != nullptr ? v->strings : kNoStrings, query.fuzzy)) {
        ok = false;
        break;
      }
    }
    if (ok) matched.push_back(index);
  }
  const bool extra = !unindexed.empty() || query.include_all ||
                     std::any_of(query.include.begin(), query.include.end(),
                                 [](const std::string& k) { return !FindCatalogAttribute(k); });
  std::vector<Json> documents;  // of the matched entities' representatives, when needed
  if (extra && !unindexed.empty()) {
    // Every candidate's data set is read (only for keys the index lacks).
    std::vector<const CatalogInstance*> reps;
    for (size_t index : matched) reps.push_back(representative(index));
    reps.erase(std::remove(reps.begin(), reps.end(), nullptr), reps.end());
    DL_ASSIGN_OR_RETURN(std::vector<std::string> sets, DataSets(reps));
    std::unordered_map<const CatalogInstance*, Json> parsed;
    for (size_t k = 0; k < reps.size(); ++k) parsed[reps[k]] = Json::parse(sets[k], nullptr, false);
    std::vector<size_t> kept;
    for (size_t index : matched) {
      const CatalogInstance* rep = representative(index);
      const Json* doc = rep != nullptr ? &parsed[rep] : nullptr;
      bool ok = true;
      for (const MatchKey* k : unindexed) {
        std::vector<std::string> values;
        if (doc != nullptr && doc->is_object())
          if (auto it = doc->find(k->key); it != doc->end()) values = AttributeStrings(*it);
        if (!MatchValues(k->vr, k->value, values, query.fuzzy)) ok = false;
      }
      if (ok) kept.push_back(index);
    }
    matched = std::move(kept);
  }

  result.total = matched.size();
  const size_t from = std::min(matched.size(), static_cast<size_t>(query.offset));
  size_t to = matched.size();
  if (query.limit >= 0) to = std::min(to, from + static_cast<size_t>(query.limit));
  const bool with_parents = (query.level == Level::kSeries && study.empty()) ||
                            (query.level == Level::kInstance && series.empty());
  std::vector<const CatalogInstance*> reps;
  for (size_t k = from; k < to; ++k) {
    result.matches.push_back(Answer(query.level, matched[k], query, with_parents, base_url));
    reps.push_back(representative(matched[k]));
  }
  if (extra && !reps.empty() && std::find(reps.begin(), reps.end(), nullptr) == reps.end()) {
    DL_ASSIGN_OR_RETURN(std::vector<std::string> sets, DataSets(reps));
    for (size_t k = 0; k < sets.size(); ++k) {
      Json doc = Json::parse(sets[k], nullptr, false);
      if (!doc.is_object()) continue;
      Json& out = result.matches[k];
      const std::string instance_url = InstanceUrl(*reps[k], base_url);
      auto take = [&](const std::string& key) {
        if (out.contains(key)) return;
        if (auto it = doc.find(key); it != doc.end()) {
          out[key] = *it;
          RewriteBulkDataUris(&out[key], instance_url);
        }
      };
      for (const std::string& key : query.include) take(key);
      for (const MatchKey* key : unindexed) take(key->key);
      if (query.include_all && query.level == Level::kInstance) {
        for (auto it = doc.begin(); it != doc.end(); ++it) {
          // The file meta information and the pixels are not attributes to search.
          if (it.key().rfind("0002", 0) == 0 || it.key().rfind("7FE0", 0) == 0) continue;
          if (it->contains("BulkDataURI")) continue;
          take(it.key());
        }
      }
    }
  }
  return result;
}

}  // namespace dicomlake::serve
