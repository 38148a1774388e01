#include "lake/value.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/time_util.h"

namespace dicomlake::lake {
namespace {

nlohmann::ordered_json ToJsonValue(const Value& v) {
  using K = Value::Kind;
  switch (v.kind) {
    case K::kNull:
      return nullptr;
    case K::kBool:
      return v.b;
    case K::kInt:
      return v.i;
    case K::kDouble:
      if (!std::isfinite(v.d))
        return std::isnan(v.d) ? "NaN" : (v.d > 0 ? "Infinity" : "-Infinity");
      return v.d;
    case K::kDecimal:
      return nlohmann::ordered_json::parse(v.s, nullptr, false);
    case K::kString:
      return v.s;
    case K::kOther:
      return v.s;
    case K::kBlob:
      return Base64(v.s);
    case K::kDate:
      return FormatDate(v.i);
    case K::kTimestamp:
      return FormatTimestampIso(v.i);
    case K::kList: {
      auto arr = nlohmann::ordered_json::array();
      for (const auto& item : v.items) arr.push_back(ToJsonValue(item));
      return arr;
    }
    case K::kStruct: {
      auto obj = nlohmann::ordered_json::object();
      for (size_t k = 0; k < v.items.size() && k < v.names.size(); ++k) {
        obj[v.names[k]] = ToJsonValue(v.items[k]);
      }
      return obj;
    }
    case K::kMap: {
      auto obj = nlohmann::ordered_json::object();
      for (size_t k = 0; k + 1 < v.items.size(); k += 2) {
        const Value& key = v.items[k];
        obj[key.kind == K::kString ? key.s : key.ToDisplay()] = ToJsonValue(v.items[k + 1]);
      }
      return obj;
    }
  }
  return nullptr;
}

}  // namespace

std::string Value::ToJson() const {
  return ToJsonValue(*this).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Value::ToDisplay() const {
  switch (kind) {
    case Kind::kNull:
      return "";
    case Kind::kString:
    case Kind::kDecimal:
    case Kind::kOther:
      return s;
    case Kind::kDate:
      return FormatDate(i);
    case Kind::kTimestamp:
      return FormatTimestampDisplay(i);
    case Kind::kBool:
      return b ? "true" : "false";
    case Kind::kInt:
      return std::to_string(i);
    default:
      return ToJson();
  }
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  using K = Value::Kind;
  switch (a.kind) {
    case K::kNull:
      return true;
    case K::kBool:
      return a.b == b.b;
    case K::kInt:
    case K::kDate:
    case K::kTimestamp:
      return a.i == b.i;
    case K::kDouble:
      return a.d == b.d || (std::isnan(a.d) && std::isnan(b.d));
    case K::kDecimal:
    case K::kString:
    case K::kBlob:
    case K::kOther:
      return a.s == b.s;
    case K::kList:
    case K::kMap:
      return a.items == b.items;
    case K::kStruct:
      return a.names == b.names && a.items == b.items;
  }
  return false;
}

}  // namespace dicomlake::lake
