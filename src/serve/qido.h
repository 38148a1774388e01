// QIDO-RS (PS3.18 §10.6) without the lake: the query parameters of a search, the attributes
// each level returns, and PS3.4 C.2.2.2 attribute matching. serve/catalog.h applies them to the
// lake's studies, series and instances.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace dicomlake::serve {

enum class Level { kStudy = 0, kSeries = 1, kInstance = 2 };

// An attribute a level of the catalog keeps (its DICOM JSON key and VR).
struct LevelAttribute {
  const char* key;  // "00100010"
  const char* vr;
  Level level;
  bool computed;  // counts, Modalities in Study, Retrieve URL...: made by the server
};

// Every attribute the catalog keeps for matching and returning, by level (PS3.18 Tables
// 10.6.3-3 to 10.6.3-5, the required return attributes, plus what OHIF reads).
const std::vector<LevelAttribute>& CatalogAttributes();
// The entry of `key` in CatalogAttributes(), or nullptr.
const LevelAttribute* FindCatalogAttribute(const std::string& key);

struct MatchKey {
  std::string key;    // DICOM JSON key, "00100010"
  std::string vr;     // from the catalog or the data dictionary
  std::string value;  // as the request gave it (URL-decoded); "" is universal matching
};

struct QidoQuery {
  Level level = Level::kStudy;
  std::vector<MatchKey> keys;
  std::vector<std::string> include;  // DICOM JSON keys of includefield
  bool include_all = false;          // includefield=all
  int64_t limit = -1;                // -1: no limit asked
  int64_t offset = 0;
  bool fuzzy = false;
  // Parameters understood but not supported (e.g. sequence matching): answered with a Warning.
  std::vector<std::string> ignored;
};

// Reads the query parameters of a QIDO-RS request. Attribute names are keywords or eight hex
// digits; `includefield` may repeat and hold a comma-separated list. InvalidArgument names an
// unknown attribute or a bad limit/offset/fuzzymatching value.
Result<QidoQuery> ParseQidoQuery(Level level,
                                 const std::vector<std::pair<std::string, std::string>>& params);

// PS3.4 C.2.2.2 matching of one attribute's values (strings as serve/catalog keeps them: a
// person name's Alphabetic group, numbers as written) against `query`:
//  - empty query: universal, matches anything, even an absent attribute;
//  - a list of values is separated by `\`, and for VRs whose values hold no comma (UI, CS, DA,
//    TM, DT, IS, DS, AE, binary numbers) by `,` too; a value matches one of them;
//  - UI: each UID matched exactly;
//  - DA, TM, DT: a value or a range `a-b`, `a-`, `-b` (inclusive; a time range's upper bound
//    includes the whole of its last component);
//  - other VRs: exactly, or with the wildcards `*` and `?` (one character, not one byte). Person
//    names, and any value against a wildcard pattern, are matched case-insensitively (Latin,
//    Greek, Cyrillic letters); with `fuzzy` a name also matches when each word of the query
//    begins a word of the name, in any order.
// A multi-valued attribute matches when one of its values does; an absent or empty attribute
// matches only universal matching.
bool MatchValues(const std::string& vr, const std::string& query,
                 const std::vector<std::string>& values, bool fuzzy);

// `text` with upper-case letters (ASCII, Latin-1, Greek, Cyrillic) made lower-case.
std::string FoldCase(const std::string& text);

}  // namespace dicomlake::serve
