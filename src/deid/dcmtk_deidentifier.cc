// The DCMTK adapter of the de-identifier (deid/deidentifier.h): the whole file is read, every
// element visited at any depth, the profile's action applied, and the file written again in
// its transfer syntax under a temporary name, then renamed.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "common/time_util.h"
#include "deid/dcmtk_pixel_cleaner.h"
#include "deid/deidentifier.h"
#include "deid/safe_private.h"
#include "dicom/dcmtk_setup.h"

namespace dicomlake::deid {
namespace {

constexpr uint32_t kPatientId = 0x00100020;

bool IsDateVr(DcmEVR vr) { return vr == EVR_DA || vr == EVR_DT; }

// The dummy value of a text VR (PS3.15 E.1.1 D: "a non-zero length value that may be a dummy
// value and consistent with the VR"), as dcm4che's de-identifier writes them.
std::string DummyOf(DcmEVR vr) {
  switch (vr) {
    case EVR_DA:
      return "19991111";
    case EVR_DT:
      return "19991111111111";
    case EVR_TM:
      return "111111";
    case EVR_IS:
    case EVR_DS:
      return "0";
    case EVR_AS:
      return "000Y";
    case EVR_CS:
      return "REMOVED";
    default:
      return "REMOVED";
  }
}

class Walker {
 public:
  Walker(const Profile& profile, const Key& key, const DeidSettings& settings, DeidReport* report)
      : profile_(profile), key_(key), settings_(settings), report_(report) {}

  void Item(DcmItem& item) {
    // A nested item is walked in the middle of its parent's walk: the parent's decisions are
    // kept aside and restored.
    std::set<uint32_t> parent_safe = std::move(safe_private_);
    std::set<uint16_t> parent_overlays = std::move(removed_overlays_);
    PrepareItem(item);
    for (unsigned long i = 0; i < item.card();) {
      DcmElement* e = item.getElement(i);
      if (e == nullptr) {
        ++i;
        continue;
      }
      if (Element(e)) {
        delete item.remove(i);
        ++report_->removed;
      } else {
        ++i;
      }
    }
    safe_private_ = std::move(parent_safe);
    removed_overlays_ = std::move(parent_overlays);
  }

 private:
  // What is decided for a whole item before its elements: the private blocks that keep a safe
  // attribute (Retain Safe Private), and the overlay groups that go whole.
  void PrepareItem(DcmItem& item) {
    safe_private_.clear();
    removed_overlays_.clear();
    const bool retain_safe = settings_.options.Has(Option::kRetainSafePrivate);
    for (unsigned long i = 0; i < item.card(); ++i) {
      DcmElement* e = item.getElement(i);
      if (e == nullptr) continue;
      const DcmTagKey k = e->getTag();
      const uint16_t g = k.getGroup(), el = k.getElement();
      if (retain_safe && (g & 1) && el >= 0x1000) {
        OFString creator;
        const auto block = static_cast<uint16_t>(el >> 8);
        if (item.findAndGetOFString(DcmTagKey(g, block), creator).good() &&
            IsSafePrivate(g, creator.c_str(), static_cast<uint8_t>(el & 0xFF))) {
          safe_private_.insert((uint32_t{g} << 16) | el);
          safe_private_.insert((uint32_t{g} << 16) | block);
        }
      }
      // An overlay (60xx) whose Overlay Data is not kept goes whole: the Overlay Plane module
      // without its data would be invalid, and its comments, labels and dates are identity too.
      if (g >= 0x6000 && g <= 0x601E && (g & 1) == 0 && el == 0x3000) {
        auto action = profile_.ActionFor((uint32_t{g} << 16) | el, settings_.options);
        if (action && *action != Action::kKeep) removed_overlays_.insert(g);
      }
    }
  }

  // Applies the action to `e`; true when it is to be removed.
  bool Element(DcmElement* e) {
    const DcmTagKey k = e->getTag();
    const uint32_t tag = (uint32_t{k.getGroup()} << 16) | k.getElement();
    const DcmEVR vr = e->ident();
    const bool is_sequence = vr == EVR_SQ;
    if (k.getElement() == 0x0000) return true;  // group lengths: retired, and now wrong
    // Private attributes: removed, unless Retain Safe Private keeps one on the safe list (and
    // its Private Creator); the value of a kept one is not touched.
    if (k.getGroup() & 1) {
      if (safe_private_.count(tag) == 0) return true;
      ++report_->kept;
      return false;
    }
    if (removed_overlays_.count(k.getGroup())) return true;
    // Graphic Annotation Sequence (D in the Basic Profile, C with Clean Graphics): the graphics
    // stay, the text objects (free text placed on the image) go.
    if (tag == 0x00700001 && is_sequence) {
      auto action = profile_.ActionFor(tag, settings_.options);
      if (action && *action != Action::kKeep) {
        auto* sq = static_cast<DcmSequenceOfItems*>(e);
        for (unsigned long n = 0; n < sq->card(); ++n) {
          if (DcmItem* item = sq->getItem(n)) {
            if (item->findAndDeleteElement(DcmTagKey(0x0070, 0x0008)).good()) ++report_->cleaned;
          }
        }
        Sequence(e);
        return false;
      }
    }
    if (tag == kPatientId) {
      e->putString(report_->patient_pseudonym.c_str());
      ++report_->cleaned;
      return false;
    }
    std::optional<Action> action = profile_.ActionFor(tag, settings_.options);
    if (!action) {
      if (is_sequence) Sequence(e);
      return false;
    }
    switch (*action) {
      case Action::kRemove:
        return true;
      case Action::kZero:
        if (is_sequence) {
          static_cast<DcmSequenceOfItems*>(e)->clear();
        } else {
          e->clear();
        }
        ++report_->emptied;
        return false;
      case Action::kDummy:
        if (is_sequence) {
          Sequence(e);
        } else if (DcmVR(vr).isaString()) {
          e->putString(vr == EVR_UI ? key_.NewUid("dummy").c_str() : DummyOf(vr).c_str());
        } else {
          e->clear();
        }
        ++report_->dummied;
        return false;
      case Action::kClean:
        if (is_sequence) {
          Sequence(e);
        } else if (IsDateVr(vr) &&
                   settings_.options.Has(Option::kRetainLongitudinalModifiedDates)) {
          ShiftDates(e);
        } else if (vr != EVR_TM) {
          e->clear();  // no cleaning rule beyond emptying: identifying text does not survive
        }
        ++report_->cleaned;
        return false;
      case Action::kUid:
        if (is_sequence) {
          Sequence(e);
        } else if (vr == EVR_UI) {
          ReplaceUids(e);
        } else {
          e->clear();
        }
        return false;
      case Action::kKeep:
        if (is_sequence) Sequence(e);
        ++report_->kept;
        return false;
    }
    return false;
  }

  void Sequence(DcmElement* e) {
    auto* sq = static_cast<DcmSequenceOfItems*>(e);
    for (unsigned long n = 0; n < sq->card(); ++n) {
      if (DcmItem* item = sq->getItem(n)) Item(*item);
    }
  }

  // Replaces each value of a multi-valued text element by `f(value)`.
  template <typename F>
  void MapValues(DcmElement* e, F f) {
    OFString all;
    if (e->getOFStringArray(all).bad()) return;
    const std::string text = all.c_str();
    std::string out;
    for (size_t start = 0;;) {
      size_t end = text.find('\\', start);
      out += (start == 0 ? "" : "\\") +
             f(text.substr(start, end == std::string::npos ? end : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    e->putString(out.c_str());
  }

  void ReplaceUids(DcmElement* e) {
    MapValues(e, [&](std::string uid) {
      while (!uid.empty() && (uid.back() == ' ' || uid.back() == '\0')) uid.pop_back();
      if (uid.empty()) return std::string();
      std::string replaced = key_.NewUid(uid);
      report_->uids[uid] = replaced;
      return replaced;
    });
  }

  // DA moves by the patient's shift; DT moves its date part, its time of day and offset stay.
  void ShiftDates(DcmElement* e) {
    MapValues(e, [&](const std::string& v) {
      std::string moved = v.size() >= 8 ? ShiftDicomDate(v.substr(0, 8), report_->shift_days) : "";
      return moved.empty() ? moved : moved + v.substr(8);
    });
  }

  const Profile& profile_;
  const Key& key_;
  const DeidSettings& settings_;
  DeidReport* report_;
  // Of the item being walked (PrepareItem).
  std::set<uint32_t> safe_private_;
  std::set<uint16_t> removed_overlays_;
};

// PS3.15 E.1.1: Patient Identity Removed, De-identification Method (and its code sequence), and
// Longitudinal Temporal Information Modified.
void AddConformanceAttributes(DcmDataset& ds, const Options& options) {
  ds.putAndInsertString(DCM_PatientIdentityRemoved, "YES");
  std::string method = fmt::format("dicomlake, DICOM PS3.15 {} Basic Profile", Profile::kEdition);
  for (Option o : options.applied) method += std::string(", ") + InfoOf(o).name;
  if (method.size() > 64) method.resize(64);  // LO
  ds.putAndInsertString(DCM_DeidentificationMethod, method.c_str());
  ds.findAndDeleteElement(DCM_DeidentificationMethodCodeSequence);
  auto add_code = [&](const char* value, const char* meaning) {
    DcmItem* item = nullptr;
    if (ds.findOrCreateSequenceItem(DCM_DeidentificationMethodCodeSequence, item, -2).good()) {
      item->putAndInsertString(DCM_CodeValue, value);
      item->putAndInsertString(DCM_CodingSchemeDesignator, "DCM");
      item->putAndInsertString(DCM_CodeMeaning, meaning);
    }
  };
  add_code(kBasicProfileCode, kBasicProfileMeaning);
  for (Option o : options.applied) add_code(InfoOf(o).code_value, InfoOf(o).code_meaning);
  const char* temporal = options.Has(Option::kRetainLongitudinalFullDates)       ? "UNMODIFIED"
                         : options.Has(Option::kRetainLongitudinalModifiedDates) ? "MODIFIED"
                                                                                 : "REMOVED";
  ds.putAndInsertString(DCM_LongitudinalTemporalInformationModified, temporal);
}

}  // namespace

Result<DeidReport> DeidentifyFile(const std::string& in, const std::string& out, const Key& key,
                                  const DeidSettings& settings) {
  DL_RETURN_IF_ERROR(settings.options.Validate());
  if (!dcmDataDict.isDictionaryLoaded()) {
    return Internal("the DICOM data dictionary is not loaded (DCMDICTPATH)");
  }
  DcmFileFormat file;
  dicom::ConfigureDcmtk();
  OFCondition cond = file.loadFile(OFFilename(in.c_str()));
  if (cond.bad()) return InvalidArgument(std::string("not readable as DICOM: ") + cond.text());
  DcmDataset& ds = *file.getDataset();
  DeidReport report;
  OFString patient_id;
  if (ds.findAndGetOFString(DCM_PatientID, patient_id).good())
    report.patient_id = patient_id.c_str();
  report.patient_pseudonym = key.PatientPseudonym(report.patient_id);
  if (settings.options.Has(Option::kRetainLongitudinalModifiedDates)) {
    report.shift_days =
        key.DateShiftDays(report.patient_id, settings.shift_min_days, settings.shift_max_days);
    if (report.shift_days == 0) return InvalidArgument("the date shift range holds no day but 0");
  }
  E_TransferSyntax xfer = ds.getOriginalXfer();
  if (settings.options.Has(Option::kCleanPixelData) &&
      MayCarryBurnedInText(ds, settings.clean_all_images)) {
    // One OCR engine per thread, made when first needed (loading the model takes a while).
    thread_local std::unique_ptr<TextFinder> finder;
    if (finder == nullptr) {
      DL_ASSIGN_OR_RETURN(finder, MakeTextFinder());
    }
    report.pixels_searched = true;
    DL_RETURN_IF_ERROR(CleanBurnedInText(ds, xfer, *finder, &report.redactions, &xfer));
  }
  report.transfer_syntax_uid = DcmXfer(xfer).getXferID();
  Walker walker(Profile::Pinned(), key, settings, &report);
  walker.Item(ds);
  AddConformanceAttributes(ds, settings.options);
  // A new file meta group (DCMTK fills it from the data set: SOP Class / Instance UIDs).
  file.getMetaInfo()->clear();
  const std::string partial = out + ".partial";
  cond = file.saveFile(OFFilename(partial.c_str()), xfer, EET_ExplicitLength, EGL_withoutGL,
                       EPD_noChange, 0, 0, EWM_createNewMeta);
  if (cond.bad()) {
    std::remove(partial.c_str());
    return IoError(fmt::format("cannot write {}: {}", out, cond.text()));
  }
  if (std::rename(partial.c_str(), out.c_str()) != 0) {
    std::remove(partial.c_str());
    return ErrnoError(errno, "cannot rename " + partial + " to " + out);
  }
  return report;
}

}  // namespace dicomlake::deid
