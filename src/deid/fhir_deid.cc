#include "deid/fhir_deid.h"

#include <fmt/format.h>

#include <cctype>
#include <set>

namespace dicomlake::deid {
namespace {

using json = nlohmann::ordered_json;

std::string Hex(const std::string& bytes, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && out.size() < n; ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out.substr(0, n);
}

bool Digits(const std::string& s, size_t from, size_t n) {
  if (s.size() < from + n) return false;
  for (size_t i = from; i < from + n; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// A FHIR date, dateTime or instant of at least month precision ("YYYY-MM", "YYYY-MM-DD",
// "YYYY-MM-DDThh:mm..."): the shapes a date takes in a resource.
bool LooksLikeDate(const std::string& s) {
  if (!Digits(s, 0, 4) || s.size() < 7 || s[4] != '-' || !Digits(s, 5, 2)) return false;
  if (s.size() == 7) return true;
  if (s[7] != '-' || !Digits(s, 8, 2)) return false;
  return s.size() == 10 || s[10] == 'T';
}

// `date` (FHIR: "YYYY", "YYYY-MM", "YYYY-MM-DD[Thh:mm...]") moved by `days`, keeping its
// precision and time of day; "" when it cannot be read.
std::string ShiftFhirDate(const std::string& date, int days) {
  if (!Digits(date, 0, 4)) return "";
  std::string ymd = date.substr(0, 4);
  size_t precision = 4;
  if (date.size() >= 7 && date[4] == '-' && Digits(date, 5, 2)) {
    ymd += date.substr(5, 2);
    precision = 7;
    if (date.size() >= 10 && date[7] == '-' && Digits(date, 8, 2)) {
      ymd += date.substr(8, 2);
      precision = 10;
    }
  }
  // A partial date moves as its middle day would.
  if (precision == 4) ymd += "0701";
  if (precision == 7) ymd += "15";
  std::string moved = ShiftDicomDate(ymd, days);
  if (moved.empty()) return "";
  std::string out = moved.substr(0, 4);
  if (precision >= 7) out += "-" + moved.substr(4, 2);
  if (precision >= 10) out += "-" + moved.substr(6, 2) + date.substr(10);
  return out;
}

// Elements removed wherever they appear: text that may name or describe a person, and the
// structures that hold such text.
const std::set<std::string>& RemovedElements() {
  static const std::set<std::string> kRemoved = {"text",
                                                 "name",
                                                 "telecom",
                                                 "address",
                                                 "photo",
                                                 "contact",
                                                 "note",
                                                 "comment",
                                                 "description",
                                                 "valueString",
                                                 "extension",
                                                 "modifierExtension",
                                                 "generalPractitioner",
                                                 "managingOrganization",
                                                 "link",
                                                 "multipleBirthBoolean",
                                                 "multipleBirthInteger",
                                                 "valueAttachment",
                                                 "presentedForm",
                                                 "conclusion"};
  return kRemoved;
}

class ResourceDeidentifier {
 public:
  ResourceDeidentifier(const std::string& patient_id, const FhirDeidContext& c)
      : patient_id_(patient_id), c_(c) {
    const Options& o = c.settings.options;
    full_dates_ = o.Has(Option::kRetainLongitudinalFullDates);
    shifted_dates_ = o.Has(Option::kRetainLongitudinalModifiedDates);
    characteristics_ = o.Has(Option::kRetainPatientCharacteristics);
    if (shifted_dates_ && !patient_id.empty()) {
      shift_ =
          c.key->DateShiftDays(patient_id, c.settings.shift_min_days, c.settings.shift_max_days);
    }
  }

  json Resource(const json& in) {
    json out = Object(in, /*top=*/true);
    return out;
  }

 private:
  // An object's members, each by the rules for its name.
  json Object(const json& in, bool top) {
    json out = json::object();
    bool is_reference = in.contains("reference");
    for (const auto& [name, value] : in.items()) {
      if (RemovedElements().count(name)) continue;
      if (name == "display" && is_reference) continue;  // a Reference's display names someone
      if (name == "gender" || name == "maritalStatus") {
        if (characteristics_) out[name] = value;
        continue;
      }
      if (top && name == "id" && value.is_string()) {
        out[name] = NewResourceId(*c_.key, in.value("resourceType", ""), value.get<std::string>());
        continue;
      }
      if (name == "identifier") {
        if (value.is_array()) {
          json ids = json::array();
          for (const auto& i : value)
            if (i.is_object()) ids.push_back(Identifier(i));
          out[name] = std::move(ids);
        } else if (value.is_object()) {
          out[name] = Identifier(value);
        }
        continue;
      }
      if (name == "reference" && value.is_string()) {
        std::string ref = Reference(value.get<std::string>());
        if (!ref.empty()) out[name] = ref;
        continue;
      }
      if (name == "birthDate" && value.is_string()) {
        std::string d = BirthDate(value.get<std::string>());
        if (!d.empty()) out[name] = d;
        continue;
      }
      if (value.is_string() && LooksLikeDate(value.get<std::string>())) {
        std::string d = Date(value.get<std::string>());
        if (!d.empty()) out[name] = d;
        continue;
      }
      if (name == "contained" && value.is_array()) {
        json items = json::array();
        for (const auto& r : value)
          if (r.is_object()) items.push_back(Object(r, /*top=*/false));
        out[name] = std::move(items);
        continue;
      }
      out[name] = Value(value);
    }
    return out;
  }

  json Value(const json& v) {
    if (v.is_object()) return Object(v, /*top=*/false);
    if (v.is_array()) {
      json out = json::array();
      for (const auto& item : v) out.push_back(Value(item));
      return out;
    }
    return v;
  }

  // An identifier keeps only its use and coded type: its value becomes the patient's pseudonym
  // (when it is the PatientID) or a keyed pseudonym of system and value.
  json Identifier(const json& in) {
    json out = json::object();
    if (in.contains("use")) out["use"] = in["use"];
    if (in.contains("type") && in["type"].is_object() && in["type"].contains("coding"))
      out["type"] = json{{"coding", in["type"]["coding"]}};
    std::string value = in.value("value", std::string());
    if (!patient_id_.empty() && value == patient_id_) {
      out["system"] = c_.patient_identifier_system;
      out["value"] = c_.key->PatientPseudonym(value);
    } else if (!value.empty()) {
      out["system"] = kPseudonymSystem;
      out["value"] = Hex(c_.key->Mac("Identifier" + std::string(1, '\0') + in.value("system", "") +
                                     std::string(1, '\0') + value),
                         32);
    }
    return out;
  }

  // A literal reference: "Type/id" keyed like the target's own id, "urn:uuid:" keyed, a local
  // "#id" kept; anything else (an absolute URL names a server) removed.
  std::string Reference(const std::string& ref) {
    if (!ref.empty() && ref[0] == '#') return ref;
    if (ref.rfind("urn:uuid:", 0) == 0) {
      std::string h = Hex(c_.key->Mac("urn:uuid" + std::string(1, '\0') + ref.substr(9)), 32);
      return fmt::format("urn:uuid:{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                         h.substr(16, 4), h.substr(20));
    }
    size_t slash = ref.find('/');
    if (slash == std::string::npos || slash == 0 || ref.find("://") != std::string::npos ||
        ref.find('/', slash + 1) != std::string::npos) {
      return "";
    }
    std::string type = ref.substr(0, slash);
    return type + "/" + NewResourceId(*c_.key, type, ref.substr(slash + 1));
  }

  std::string BirthDate(const std::string& d) {
    if (full_dates_) return d;
    if (shifted_dates_) return ShiftFhirDate(d, shift_);
    return Digits(d, 0, 4) ? d.substr(0, 4) : "";  // the year alone
  }

  std::string Date(const std::string& d) {
    if (full_dates_) return d;
    if (shifted_dates_) return ShiftFhirDate(d, shift_);
    return "";
  }

  const std::string& patient_id_;
  const FhirDeidContext& c_;
  bool full_dates_ = false, shifted_dates_ = false, characteristics_ = false;
  int shift_ = 0;
};

}  // namespace

std::string NewResourceId(const Key& key, const std::string& type, const std::string& id) {
  return Hex(key.Mac("FhirId" + std::string(1, '\0') + type + "/" + id), 32);
}

Result<json> DeidentifyResource(const json& resource, const std::string& patient_id,
                                const FhirDeidContext& context) {
  if (!resource.is_object() || !resource.contains("resourceType") ||
      !resource["resourceType"].is_string()) {
    return InvalidArgument("not a FHIR resource (no resourceType)");
  }
  if (context.key == nullptr) return InvalidArgument("no key");
  DL_RETURN_IF_ERROR(context.settings.options.Validate());
  if (context.settings.options.Has(Option::kRetainLongitudinalModifiedDates) &&
      !patient_id.empty() &&
      context.key->DateShiftDays(patient_id, context.settings.shift_min_days,
                                 context.settings.shift_max_days) == 0) {
    return InvalidArgument("the date shift range holds no day but 0");
  }
  return ResourceDeidentifier(patient_id, context).Resource(resource);
}

}  // namespace dicomlake::deid
