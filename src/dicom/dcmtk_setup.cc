#include "dicom/dcmtk_setup.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcobject.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/oflog/oflog.h>

#include <mutex>

#include "dicom/dcmtk_private_dictionary.h"

namespace dicomlake::dicom {

void ConfigureDcmtk() {
  static std::once_flag once;
  std::call_once(once, [] {
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    // An explicit-VR UN element whose real VR the dictionary knows is read with that VR (as
    // pydicom does), so that e.g. a date stored as UN becomes a DA value.
    dcmEnableUnknownVRConversion.set(OFTrue);
    // Uncompressed data sets encoded otherwise than their meta header says (implicit VR under
    // an explicit transfer syntax): read as they are encoded, as pydicom and GDCM read them.
    // (dcmAcceptUnexpectedImplicitEncoding would also rescue such compressed data sets, but it
    // makes DCMTK give up at the first element of many damaged files it otherwise reads.)
    dcmAutoDetectDatasetXfer.set(OFTrue);
    // Private attributes DCMTK's dictionary lacks (Siemens, GE, Philips ...), so that implicit
    // VR private values are read with their VR instead of as UN bytes.
    if (dcmDataDict.isDictionaryLoaded()) AddPrivateDictionaryToDcmtk();
  });
}

void RegisterDcmtkCodecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    ConfigureDcmtk();
    DJDecoderRegistration::registerCodecs(EDC_photometricInterpretation, EUC_default,
                                          EPC_colorByPixel);
    DJLSDecoderRegistration::registerCodecs(EJLSUC_default, EJLSPC_colorByPixel);
    DcmRLEDecoderRegistration::registerCodecs();
    DJEncoderRegistration::registerCodecs();
    DJLSEncoderRegistration::registerCodecs();
    DcmRLEEncoderRegistration::registerCodecs();
  });
}

}  // namespace dicomlake::dicom
