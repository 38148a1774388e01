#include "dicom/dcmtk_private_dictionary.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dcdict.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace dicomlake::dicom {

extern const char* const kPrivateDictionaryTsv;

namespace {

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

// "1", "1-n", "2-2n", "3": the lower and upper multiplicity (DcmVariableVM when open).
void ParseVm(std::string_view vm, int* min, int* max) {
  std::string s(vm);
  *min = std::atoi(s.c_str());
  size_t dash = s.find('-');
  *max = dash == std::string::npos ? *min
         : s.back() == 'n'         ? DcmVariableVM
                                   : std::atoi(s.c_str() + dash + 1);
}

// One TSV row: group, element ("xxNN": any block, or "NNNN"), creator, VR, VM, name.
DcmDictEntry* ParseEntry(std::string_view line) {
  std::vector<std::string_view> f = SplitTabs(line);
  if (f.size() != 6 || f[0].size() != 4 || f[1].size() != 4) return nullptr;
  auto hex = [](std::string_view s) {
    return static_cast<Uint16>(std::strtoul(std::string(s).c_str(), nullptr, 16));
  };
  Uint16 group = hex(f[0]);
  // DCMTK keys "any block" entries by the low byte of the element (as its private.dic does).
  Uint16 element = f[1].substr(0, 2) == "xx" ? hex(f[1].substr(2)) : hex(f[1]);
  DcmVR vr(std::string(f[3]).c_str());
  if (vr.getEVR() == EVR_UNKNOWN) return nullptr;
  int vm_min = 0;
  int vm_max = 0;
  ParseVm(f[4], &vm_min, &vm_max);
  return new DcmDictEntry(group, element, vr, std::string(f[5]).c_str(), vm_min, vm_max, "GDCM",
                          OFTrue, std::string(f[2]).c_str());
}

}  // namespace

size_t AddPrivateDictionaryToDcmtk() {
  std::string_view tsv(kPrivateDictionaryTsv);
  size_t added = 0;
  DcmDataDictionary& dict = dcmDataDict.wrlock();
  for (size_t start = 0; start < tsv.size();) {
    size_t end = tsv.find('\n', start);
    if (end == std::string_view::npos) end = tsv.size();
    std::string_view line = tsv.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (DcmDictEntry* entry = ParseEntry(line)) {
      dict.addEntry(entry);  // takes ownership; replaces an entry with the same key
      ++added;
    }
  }
  dcmDataDict.wrunlock();
  return added;
}

}  // namespace dicomlake::dicom
