#include "silver/flatten.h"

#include <cctype>
#include <cmath>

#include "common/time_util.h"

namespace dicomlake::silver {

using json = nlohmann::ordered_json;
using lake::DataType;
using lake::Value;
using Kind = lake::DataType::Kind;

Value JsonToValue(const json& j, const DataType& type) {
  if (j.is_null()) return Value::Null();
  switch (type.kind) {
    case Kind::kStruct: {
      if (!j.is_object()) return Value::Null();
      std::vector<std::string> names;
      std::vector<Value> items;
      bool any = false;
      for (const auto& f : type.fields) {
        names.push_back(f.name);
        auto it = j.find(f.name);
        items.push_back(it == j.end() ? Value::Null() : JsonToValue(*it, f.type));
        any = any || !items.back().is_null();
      }
      return any ? Value::Struct(std::move(names), std::move(items)) : Value::Null();
    }
    case Kind::kArray: {
      std::vector<Value> items;
      if (j.is_array()) {
        for (const auto& x : j) {
          Value v = JsonToValue(x, *type.element);
          if (!v.is_null()) items.push_back(std::move(v));
        }
      } else {
        Value v = JsonToValue(j, *type.element);
        if (!v.is_null()) items.push_back(std::move(v));
      }
      return items.empty() ? Value::Null() : Value::List(std::move(items));
    }
    case Kind::kString:
      return j.is_string() ? Value::String(j.get<std::string>()) : Value::String(j.dump());
    case Kind::kLong:
    case Kind::kInteger:
      if (j.is_number_integer()) return Value::Int(j.get<int64_t>());
      if (j.is_number_float()) {
        double d = j.get<double>();
        if (std::floor(d) == d && std::fabs(d) < 9e15) return Value::Int(static_cast<int64_t>(d));
      }
      return Value::Null();
    case Kind::kDouble:
    case Kind::kFloat:
      return j.is_number() ? Value::Double(j.get<double>()) : Value::Null();
    case Kind::kBoolean:
      return j.is_boolean() ? Value::Bool(j.get<bool>()) : Value::Null();
    case Kind::kTimestamp: {
      int64_t us = 0;
      if (j.is_string() && ParseFhirInstant(j.get<std::string>(), &us)) return Value::Timestamp(us);
      return Value::Null();
    }
    default:
      return Value::Null();
  }
}

json ValueToJson(const Value& v, const DataType& type) {
  if (v.is_null()) return nullptr;
  switch (type.kind) {
    case Kind::kStruct: {
      json o = json::object();
      for (size_t i = 0; i < type.fields.size() && i < v.items.size(); ++i) {
        json x = ValueToJson(v.items[i], type.fields[i].type);
        if (!x.is_null()) o[type.fields[i].name] = std::move(x);
      }
      return o.empty() ? json(nullptr) : o;
    }
    case Kind::kArray: {
      json a = json::array();
      for (const auto& item : v.items) {
        json x = ValueToJson(item, *type.element);
        if (!x.is_null()) a.push_back(std::move(x));
      }
      return a.empty() ? json(nullptr) : a;
    }
    case Kind::kString:
      return v.s;
    case Kind::kLong:
    case Kind::kInteger:
      return v.i;
    case Kind::kDouble:
    case Kind::kFloat:
      return v.d;
    case Kind::kBoolean:
      return v.b;
    case Kind::kTimestamp:
      return FormatTimestampIso(v.i, 6);
    default:
      return nullptr;
  }
}

bool ParseFhirInstant(const std::string& t, int64_t* micros) {
  auto digits = [&](size_t pos, size_t n) {
    if (pos + n > t.size()) return false;
    for (size_t i = pos; i < pos + n; ++i)
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
    return true;
  };
  auto num = [&](size_t pos, size_t n) { return std::stoi(t.substr(pos, n)); };
  if (!digits(0, 4)) return false;
  int year = num(0, 4), month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t fraction_us = 0, offset_min = 0;
  size_t p = 4;
  if (p < t.size()) {
    if (t[p] != '-' || !digits(p + 1, 2)) return false;
    month = num(p + 1, 2);
    p += 3;
  }
  if (p < t.size()) {
    if (t[p] != '-' || !digits(p + 1, 2)) return false;
    day = num(p + 1, 2);
    p += 3;
  }
  if (p < t.size()) {
    if (t[p] != 'T' || !digits(p + 1, 2) || t.size() < p + 9 || t[p + 3] != ':' ||
        !digits(p + 4, 2) || t[p + 6] != ':' || !digits(p + 7, 2))
      return false;
    hour = num(p + 1, 2);
    minute = num(p + 4, 2);
    second = num(p + 7, 2);
    p += 9;
    if (p < t.size() && t[p] == '.') {
      size_t q = p + 1;
      int64_t scale = 100000;
      while (q < t.size() && std::isdigit(static_cast<unsigned char>(t[q]))) {
        fraction_us += (t[q] - '0') * scale;
        scale /= 10;
        ++q;
      }
      if (q == p + 1) return false;
      p = q;
    }
    if (p < t.size()) {
      if (t[p] == 'Z') {
        ++p;
      } else if ((t[p] == '+' || t[p] == '-') && digits(p + 1, 2) && t.size() >= p + 6 &&
                 t[p + 3] == ':' && digits(p + 4, 2)) {
        offset_min = (num(p + 1, 2) * 60 + num(p + 4, 2)) * (t[p] == '-' ? -1 : 1);
        p += 6;
      } else {
        return false;
      }
    }
    if (p != t.size()) return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return false;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
  *micros = secs * 1000000 + fraction_us;
  return true;
}

}  // namespace dicomlake::silver
