#include "dicom/dataset.h"

#include <algorithm>

namespace dicomlake::dicom {

const Element* Dataset::Find(uint32_t tag) const {
  auto it = std::lower_bound(elements.begin(), elements.end(), tag,
                             [](const Element& e, uint32_t t) { return e.tag < t; });
  return it != elements.end() && it->tag == tag ? &*it : nullptr;
}

std::string Dataset::FirstString(uint32_t tag) const {
  const Element* e = Find(tag);
  if (!e || e->strings.empty() || !e->strings[0]) return "";
  return *e->strings[0];
}

}  // namespace dicomlake::dicom
