#include <dcmtk/config/osconfig.h>  // must come first
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcrlerp.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcvrobow.h>

#include <mutex>

#include "dicom/dcmtk_setup.h"
#include "dicom/dicom_writer.h"

namespace dicomlake::dicom {
namespace {

std::string Join(const std::vector<std::optional<std::string>>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += '\\';
    if (values[i]) out += *values[i];
  }
  return out;
}

Status PutElements(const Dataset& data, DcmItem* item, const std::string& where);

Status PutElement(const Element& e, DcmItem* item, const std::string& where) {
  DcmTag tag(static_cast<Uint16>(e.tag >> 16), static_cast<Uint16>(e.tag & 0xFFFF));
  DcmVR vr(e.vr.c_str());
  tag.setVR(vr);
  OFCondition cond = EC_Normal;
  std::string name =
      where + "(" + std::to_string(e.tag >> 16) + "," + std::to_string(e.tag & 0xFFFF) + ")";
  if (e.vr == "SQ") {
    auto* seq = new DcmSequenceOfItems(tag);
    for (const auto& child : e.items) {
      auto* it = new DcmItem();
      Status st = PutElements(child, it, name + ">");
      if (!st.ok()) {
        delete it;
        delete seq;
        return st;
      }
      seq->append(it);
    }
    cond = item->insert(seq, true);
    if (cond.bad()) delete seq;
  } else if (!e.strings.empty()) {
    cond = item->putAndInsertOFStringArray(tag, Join(e.strings).c_str());
  } else if (!e.numbers.empty()) {
    std::string joined;
    for (size_t i = 0; i < e.numbers.size(); ++i) joined += (i ? "\\" : "") + e.numbers[i];
    if (e.vr == "US") {
      cond = item->putAndInsertUint16(tag, static_cast<Uint16>(std::stoul(e.numbers[0])));
      for (size_t i = 1; cond.good() && i < e.numbers.size(); ++i)
        cond = item->putAndInsertUint16(tag, static_cast<Uint16>(std::stoul(e.numbers[i])),
                                        static_cast<unsigned long>(i));
    } else if (e.vr == "UL") {
      cond = item->putAndInsertUint32(tag, static_cast<Uint32>(std::stoul(e.numbers[0])));
    } else if (e.vr == "SS") {
      cond = item->putAndInsertSint16(tag, static_cast<Sint16>(std::stol(e.numbers[0])));
    } else if (e.vr == "FD") {
      cond = item->putAndInsertFloat64(tag, std::stod(e.numbers[0]));
    } else {
      return InvalidArgument("cannot write " + name + " with VR " + e.vr);
    }
  } else if (e.tag == 0x7FE00010) {
    // Pixel Data must be a DcmPixelData for DCMTK's codecs (RLE) to change its representation.
    auto* px = new DcmPixelData(tag);
    cond = e.vr == "OW" ? px->putUint16Array(reinterpret_cast<const Uint16*>(e.binary.data()),
                                             static_cast<unsigned long>(e.binary.size() / 2))
                        : px->putUint8Array(reinterpret_cast<const Uint8*>(e.binary.data()),
                                            static_cast<unsigned long>(e.binary.size()));
    if (cond.good()) cond = item->insert(px, true);
    if (cond.bad()) delete px;
  } else if (e.vr == "OW") {
    cond = item->putAndInsertUint16Array(tag, reinterpret_cast<const Uint16*>(e.binary.data()),
                                         static_cast<unsigned long>(e.binary.size() / 2));
  } else if (e.vr == "OB" || e.vr == "UN") {
    cond = item->putAndInsertUint8Array(tag, reinterpret_cast<const Uint8*>(e.binary.data()),
                                        static_cast<unsigned long>(e.binary.size()));
  } else {
    cond = item->insertEmptyElement(tag);
  }
  if (cond.bad()) return Internal("cannot set " + name + ": " + cond.text());
  return Status::Ok();
}

Status PutElements(const Dataset& data, DcmItem* item, const std::string& where) {
  for (const auto& e : data.elements) DL_RETURN_IF_ERROR(PutElement(e, item, where));
  return Status::Ok();
}

}  // namespace

Status WriteDicomFile(const Dataset& data, const std::string& path, WriteSyntax syntax) {
  RegisterDcmtkCodecs();
  DcmFileFormat file;
  DcmDataset* ds = file.getDataset();
  DL_RETURN_IF_ERROR(PutElements(data, ds, ""));
  E_TransferSyntax xfer = EXS_LittleEndianExplicit;
  switch (syntax) {
    case WriteSyntax::kExplicitLittle:
      break;
    case WriteSyntax::kImplicitLittle:
      xfer = EXS_LittleEndianImplicit;
      break;
    case WriteSyntax::kDeflated:
      xfer = EXS_DeflatedLittleEndianExplicit;
      break;
    case WriteSyntax::kRleLossless: {
      xfer = EXS_RLELossless;
      DcmRLERepresentationParameter params;
      OFCondition c = ds->chooseRepresentation(xfer, &params);
      if (c.bad() || !ds->canWriteXfer(xfer))
        return Internal("RLE compression failed for " + path + ": " + c.text());
      break;
    }
  }
  OFCondition cond = file.saveFile(path.c_str(), xfer, EET_ExplicitLength, EGL_recalcGL,
                                   EPD_noChange, 0, 0, EWM_fileformat);
  if (cond.bad()) return IoError("cannot write " + path + ": " + cond.text());
  return Status::Ok();
}

}  // namespace dicomlake::dicom
