#include "bronze/operations.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "bronze/imaging_dicom.h"
#include "common/time_util.h"
#include "dicom/dcmtk_dictionary.h"

namespace dicomlake::bronze {
namespace {

using json = nlohmann::json;
using lake::Value;

bool IsTagKey(const std::string& key) {
  if (key.size() != 8) return false;
  for (char c : key)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// The string at `pointer` in `j` when it is a non-empty string, else "".
std::string StringAt(const json& j, const json::json_pointer& pointer) {
  if (!j.contains(pointer)) return "";
  const json& v = j.at(pointer);
  return v.is_string() ? v.get<std::string>() : "";
}

// The valueString of the extension with `url`; sets *found.
std::string ExtensionValue(const json& j, const std::string& url, bool* found) {
  *found = false;
  if (!j.contains("extension") || !j["extension"].is_array()) return "";
  for (const auto& e : j["extension"]) {
    if (e.is_object() && e.value("url", "") == url) {
      *found = true;
      return e.contains("valueString") && e["valueString"].is_string()
                 ? e["valueString"].get<std::string>()
                 : "";
    }
  }
  return "";
}

// Splits `text` at backslashes (DICOM's value delimiter).
std::vector<std::string> SplitValues(const std::string& text) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == '\\') {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

// One value of `vr` as DICOM JSON writes it (PS3.18 F.2.3).
Result<json> JsonValue(const std::string& vr, const std::string& v, const std::string& keyword) {
  auto number_error = [&] {
    return InvalidArgument(keyword + " (" + vr + "): \"" + v + "\" is not a number");
  };
  if (vr == "PN") return json{{"Alphabetic", v}};
  if (vr == "IS" || vr == "SL" || vr == "SS" || vr == "UL" || vr == "US" || vr == "SV" ||
      vr == "UV") {
    size_t end = 0;
    try {
      long long n = std::stoll(v, &end);
      if (end != v.size()) return number_error();
      return json(n);
    } catch (const std::exception&) {
      return number_error();
    }
  }
  if (vr == "DS" || vr == "FL" || vr == "FD") {
    size_t end = 0;
    try {
      double d = std::stod(v, &end);
      if (end != v.size()) return number_error();
      return json(d);
    } catch (const std::exception&) {
      return number_error();
    }
  }
  return json(v);
}

}  // namespace

Result<std::string> TagPatchFromAssignments(const std::vector<std::string>& assignments) {
  json patch = json::object();
  for (const auto& a : assignments) {
    size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("\"" + a + "\": write Keyword=value (e.g. PatientSex=F)");
    }
    DL_ASSIGN_OR_RETURN(dicom::DictionaryAttribute attr, dicom::LookupAttribute(a.substr(0, eq)));
    static const char* const kUnsupported[] = {"SQ", "OB", "OW", "OF", "OD", "OL", "OV", "UN"};
    for (const char* vr : kUnsupported) {
      if (attr.vr == vr) {
        return InvalidArgument(attr.keyword + " has VR " + attr.vr + ": only values can be set");
      }
    }
    if (attr.vr.empty()) {
      return InvalidArgument(attr.keyword + " has no single VR in the dictionary");
    }
    json element = {{"vr", attr.vr}};
    std::string text = a.substr(eq + 1);
    if (!text.empty()) {
      json values = json::array();
      for (const auto& v : SplitValues(text)) {
        DL_ASSIGN_OR_RETURN(json value, JsonValue(attr.vr, v, attr.keyword));
        values.push_back(std::move(value));
      }
      element["Value"] = std::move(values);
    }
    patch[attr.json_key] = std::move(element);
  }
  std::string out = patch.dump();
  DL_RETURN_IF_ERROR(ValidateTagPatch(out));
  return out;
}

lake::Row MakeOperationRow(const Operation& op, const std::string& run_id, int64_t created_us) {
  static const lake::Schema schema = ImagingDicomSchema();
  lake::Row row(schema.fields.size());
  auto set = [&](const char* column, Value v) { row[schema.IndexOf(column)] = std::move(v); };
  auto text = [](const std::string& s) { return s.empty() ? Value::Null() : Value::String(s); };
  set("studyInstanceUid", text(op.study_uid));
  set("seriesInstanceUid", text(op.series_uid));
  set("sopInstanceUid", text(op.sop_uid));
  set("metadata_string", text(op.tags_json));
  set("sourceFilePath", text(op.source_file_path));
  set("sourceModifiedAt", Value::Timestamp(op.modified_us));
  set("sourceSystem", text(op.namespace_name));
  set("contentHash", text(op.source_hash));
  set("runId", text(run_id));
  set("createdDatetime", Value::Timestamp(created_us));
  set("operation", Value::String(op.operation));
  return row;
}

Status ValidateTagPatch(const std::string& tags_json) {
  json patch = json::parse(tags_json, nullptr, false);
  if (patch.is_discarded() || !patch.is_object()) {
    return InvalidArgument("the attributes to patch are not a DICOM JSON object");
  }
  if (patch.empty()) return InvalidArgument("the patch names no attribute");
  for (const auto& [key, value] : patch.items()) {
    if (!IsTagKey(key)) {
      return InvalidArgument("\"" + key + "\" is not a tag (eight hex digits, PS3.18 F.2.1.1)");
    }
    std::string upper = key;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const unsigned group = std::stoul(upper.substr(0, 4), nullptr, 16);
    if ((group & 1) != 0) return InvalidArgument(key + " is a private attribute");
    if (group == 0x0002) return InvalidArgument(key + " is in the file meta group");
    if (upper == "0020000D" || upper == "0020000E" || upper == "00080018") {
      return InvalidArgument(key +
                             " identifies the instance (Study, Series or SOP Instance UID): "
                             "it cannot be patched");
    }
    if (upper == "7FE00010") return InvalidArgument(key + " is Pixel Data");
    if (upper != key) return InvalidArgument(key + ": tags are upper-case hex (PS3.18 F.2.1.1)");
    if (!value.is_object() || !value.contains("vr") || !value["vr"].is_string() ||
        value["vr"].get<std::string>().size() != 2) {
      return InvalidArgument(key + ": not a DICOM JSON attribute (an object with a \"vr\")");
    }
    if (value.contains("BulkDataURI") || value.contains("InlineBinary")) {
      return InvalidArgument(key + ": binary values cannot be patched");
    }
    if (value.contains("Value") && !value["Value"].is_array()) {
      return InvalidArgument(key + ": \"Value\" is not an array");
    }
  }
  return Status::Ok();
}

Result<std::string> ApplyTagPatches(const std::string& metadata_json,
                                    const std::vector<std::string>& patches) {
  if (patches.empty()) return metadata_json;
  json data = json::parse(metadata_json, nullptr, false);
  if (data.is_discarded() || !data.is_object()) {
    return InvalidArgument("the instance's DICOM JSON is not an object");
  }
  for (const auto& text : patches) {
    json patch = json::parse(text, nullptr, false);
    if (patch.is_discarded() || !patch.is_object()) continue;  // refused when it was recorded
    for (auto& [key, value] : patch.items()) data[key] = value;
  }
  // Keys in tag order, as DICOM JSON writers keep them (nlohmann's object is a sorted map).
  return data.dump();
}

Result<Operation> ParseOperationLine(const std::string& line, const std::string& namespace_name,
                                     int64_t default_modified_us) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("not a JSON object");
  if (j.contains("resourceType") && j["resourceType"] != "ImagingStudy") {
    return InvalidArgument("resourceType is not ImagingStudy");
  }
  Operation op;
  op.namespace_name = namespace_name;
  bool found = false;
  op.operation = ExtensionValue(j, kOperationExtensionUrl, &found);
  if (!found || op.operation.empty()) {
    return InvalidArgument(std::string("no operation (extension ") + kOperationExtensionUrl + ")");
  }
  if (op.operation != kSoftDelete && op.operation != kPatch) {
    return InvalidArgument("operation \"" + op.operation +
                           "\" is not supported (patch or soft-delete)");
  }
  op.study_uid = StringAt(j, "/identifier/0/value"_json_pointer);
  if (op.study_uid.rfind("urn:oid:", 0) == 0) op.study_uid = op.study_uid.substr(8);
  if (op.study_uid.empty()) {
    return InvalidArgument("no study: identifier[0].value (the Study Instance UID) is required");
  }
  op.series_uid = StringAt(j, "/series/0/uid"_json_pointer);
  op.sop_uid = StringAt(j, "/series/0/instance/0/uid"_json_pointer);
  if (!op.sop_uid.empty() && op.series_uid.empty()) {
    return InvalidArgument("an instance (series[0].instance[0].uid) without its series uid");
  }
  std::string updated = StringAt(j, "/meta/lastUpdated"_json_pointer);
  op.modified_us = default_modified_us;
  if (!updated.empty()) {
    auto t = ParseTimestampIso(updated);
    if (!t) return InvalidArgument("meta.lastUpdated is not a date-time: " + updated);
    op.modified_us = *t;
  }
  if (op.operation == kPatch) {
    op.tags_json = ExtensionValue(j, kOperationTagsExtensionUrl, &found);
    if (!found) {
      return InvalidArgument(std::string("a patch without its attributes (extension ") +
                             kOperationTagsExtensionUrl + ")");
    }
    Status valid = ValidateTagPatch(op.tags_json);
    if (!valid.ok()) return valid;
    op.tags_json = json::parse(op.tags_json).dump();  // one canonical spelling
  }
  return op;
}

std::string OperationAppliesSql(const std::string& o, const std::string& ns,
                                const std::string& study, const std::string& series,
                                const std::string& sop, const std::string& modified) {
  return o + ".sourceSystem = " + ns + " AND " + o + ".studyInstanceUid = " + study + " AND (" + o +
         ".seriesInstanceUid IS NULL OR " + o + ".seriesInstanceUid = " + series + ") AND (" + o +
         ".sopInstanceUid IS NULL OR " + o + ".sopInstanceUid = " + sop + ") AND " + o +
         ".sourceModifiedAt >= " + modified;
}

}  // namespace dicomlake::bronze
