// Building a dicom::Dataset element by element, for the sample generators (sample.cc,
// deid_test_set.cc): S(ingle) and M(ulti-valued) text, U(S) numbers, B(inary), Q (sequence).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dicom/dataset.h"

namespace dicomlake::sample {

class Builder {
 public:
  Builder& S(uint16_t g, uint16_t e, const char* vr, const std::string& v) {
    dicom::Element el;
    el.tag = dicom::Tag(g, e);
    el.vr = vr;
    el.strings.push_back(v);
    ds_.elements.push_back(std::move(el));
    return *this;
  }
  Builder& M(uint16_t g, uint16_t e, const char* vr, const std::vector<std::string>& values) {
    dicom::Element el;
    el.tag = dicom::Tag(g, e);
    el.vr = vr;
    for (const auto& v : values) el.strings.push_back(v);
    ds_.elements.push_back(std::move(el));
    return *this;
  }
  Builder& U(uint16_t g, uint16_t e, int v) {
    dicom::Element el;
    el.tag = dicom::Tag(g, e);
    el.vr = "US";
    el.numbers.push_back(std::to_string(v));
    ds_.elements.push_back(std::move(el));
    return *this;
  }
  Builder& B(uint16_t g, uint16_t e, const char* vr, std::string bytes) {
    dicom::Element el;
    el.tag = dicom::Tag(g, e);
    el.vr = vr;
    el.binary = std::move(bytes);
    ds_.elements.push_back(std::move(el));
    return *this;
  }
  Builder& Q(uint16_t g, uint16_t e, std::vector<dicom::Dataset> items) {
    dicom::Element el;
    el.tag = dicom::Tag(g, e);
    el.vr = "SQ";
    el.items = std::move(items);
    ds_.elements.push_back(std::move(el));
    return *this;
  }
  dicom::Dataset Done() { return std::move(ds_); }

 private:
  dicom::Dataset ds_;
};

}  // namespace dicomlake::sample
