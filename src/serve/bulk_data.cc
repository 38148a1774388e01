#include "serve/bulk_data.h"

#include <cstdlib>

namespace dicomlake::serve {
namespace {

// The value of query parameter `name` in `uri` ("" when absent).
std::string Parameter(std::string_view uri, std::string_view name) {
  const size_t q = uri.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view rest = uri.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=')
      return std::string(pair.substr(name.size() + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return "";
}

bool Digits(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string ServedBulkDataUri(std::string_view stored, const std::string& instance_url) {
  const std::string offset = Parameter(stored, "offset"), length = Parameter(stored, "length");
  if (Digits(offset) && Digits(length)) return instance_url + "/bulk/" + offset + "/" + length;
  const std::string tag = Parameter(stored, "tag");
  return instance_url + "/bulk/tag/" + (tag.empty() ? "unknown" : tag);
}

std::string RewriteBulkDataUris(std::string_view json, const std::string& instance_url) {
  static constexpr std::string_view kKey = "\"BulkDataURI\":\"";
  std::string out;
  out.reserve(json.size());
  size_t at = 0;
  while (true) {
    const size_t found = json.find(kKey, at);
    if (found == std::string_view::npos) break;
    const size_t start = found + kKey.size();
    size_t end = start;
    while (end < json.size() && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
    if (end >= json.size()) break;
    out.append(json.substr(at, start - at));
    // The URI's query holds only digits, letters, '=', '&', '.', so escapes do not matter.
    out.append(ServedBulkDataUri(json.substr(start, end - start), instance_url));
    at = end;
  }
  out.append(json.substr(at));
  return out;
}

void RewriteBulkDataUris(nlohmann::json* value, const std::string& instance_url) {
  if (value->is_object()) {
    for (auto it = value->begin(); it != value->end(); ++it) {
      if (it.key() == "BulkDataURI" && it->is_string()) {
        *it = ServedBulkDataUri(it->get<std::string>(), instance_url);
      } else {
        RewriteBulkDataUris(&*it, instance_url);
      }
    }
  } else if (value->is_array()) {
    for (auto& item : *value) RewriteBulkDataUris(&item, instance_url);
  }
}

std::optional<BulkRange> ParseBulkRange(const std::string& offset, const std::string& length) {
  if (!Digits(offset) || !Digits(length)) return std::nullopt;
  return BulkRange{std::strtoll(offset.c_str(), nullptr, 10),
                   std::strtoll(length.c_str(), nullptr, 10)};
}

}  // namespace dicomlake::serve
