#include "net/dimse_client.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/scu.h>

#include <algorithm>

#include "common/fs.h"
#include "dicom/dcmtk_setup.h"
#include "net/spool.h"

namespace dicomlake::net {
namespace {

// Transfer syntaxes proposed for the instances a C-GET brings back, in order of preference; each
// on a presentation context of its own so that the peer can pick the one an instance is stored
// in. Uncompressed first (every peer can send those), then the encoded ones by how common.
const char* const kGetTransferSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEG2000TransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_RLELosslessTransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    "1.2.840.10008.1.2.4.201",  // HTJ2K lossless
    "1.2.840.10008.1.2.4.203",  // HTJ2K
    UID_MPEG4HighProfileLevel4_1TransferSyntax,
    UID_HEVCMainProfileLevel5_1TransferSyntax,
};

// Storage classes proposed when the peer does not say which a study holds.
const char* const kCommonStorageClasses[] = {
    UID_CTImageStorage,
    UID_MRImageStorage,
    UID_SecondaryCaptureImageStorage,
    UID_DigitalXRayImageStorageForPresentation,
    UID_ComputedRadiographyImageStorage,
    UID_UltrasoundImageStorage,
    UID_UltrasoundMultiframeImageStorage,
    UID_EnhancedCTImageStorage,
    UID_EnhancedMRImageStorage,
    UID_PositronEmissionTomographyImageStorage,
    UID_NuclearMedicineImageStorage,
    UID_DigitalMammographyXRayImageStorageForPresentation,
    UID_XRayAngiographicImageStorage,
    UID_RTStructureSetStorage,
    UID_RTDoseStorage,
    UID_RTPlanStorage,
    UID_SegmentationStorage,
    UID_BasicTextSRStorage,
    UID_EnhancedSRStorage,
    UID_ComprehensiveSRStorage,
    UID_EncapsulatedPDFStorage,
    UID_GrayscaleSoftcopyPresentationStateStorage,
    UID_VLPhotographicImageStorage,
    UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage,
};

std::string Describe(const DimsePeer& peer) {
  return peer.ae_title + "@" + peer.host + ":" + std::to_string(peer.port);
}

OFList<OFString> Syntaxes(std::initializer_list<const char*> uids) {
  OFList<OFString> out;
  for (const char* u : uids) out.push_back(u);
  return out;
}

// The C-GET/C-FIND/C-MOVE client. In C-GET it receives the instances bit-preserving into a hidden
// temporary file, makes it durable under its SOP Instance UID (net/spool.h), and only then lets
// DcmSCU send the success status.
class Client : public DcmSCU {
 public:
  Client(const DimsePeer& peer, std::string folder) : folder_(std::move(folder)) {
    dicom::ConfigureDcmtk();
    setAETitle(peer.calling_ae.c_str());
    setPeerHostName(peer.host.c_str());
    setPeerPort(static_cast<Uint16>(peer.port));
    setPeerAETitle(peer.ae_title.c_str());
    setACSETimeout(static_cast<Uint32>(peer.timeout_seconds));
    setDIMSETimeout(static_cast<Uint32>(peer.timeout_seconds));
    setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    setMaxReceivePDULength(131072);
    if (!folder_.empty()) {
      setStorageMode(DCMSCU_STORAGE_BIT_PRESERVING);
      setStorageDir(folder_.c_str());
    }
  }

  DimseRetrieval retrieval;

 protected:
  OFCondition handleSTORERequestFile(T_ASC_PresentationContextID* pres_id, const OFString&,
                                     T_DIMSE_C_StoreRQ* request) override {
    Status made = fs::MakeDirs(folder_);
    if (!made.ok()) {
      retrieval.failures.push_back(std::string(request->AffectedSOPInstanceUID) + ": " +
                                   made.message());
      return makeOFCondition(0, 2, OF_error, made.message().c_str());
    }
    const std::string temp = SpoolTempPath(folder_);
    OFCondition cond = DcmSCU::handleSTORERequestFile(pres_id, temp.c_str(), request);
    if (cond.bad()) {
      (void)fs::RemoveFile(temp);
      retrieval.failures.push_back(std::string(request->AffectedSOPInstanceUID) +
                                   ": receiving: " + cond.text());
      return cond;
    }
    auto committed = CommitSpoolFile(temp, folder_, request->AffectedSOPInstanceUID);
    if (!committed.ok()) {
      retrieval.failures.push_back(std::string(request->AffectedSOPInstanceUID) + ": " +
                                   committed.status().message());
      return makeOFCondition(0, 3, OF_error, committed.status().message().c_str());
    }
    auto info = fs::Stat(*committed);
    retrieval.bytes += info.ok() ? static_cast<int64_t>(info->size) : 0;
    retrieval.files.push_back(*committed);
    return EC_Normal;
  }

 private:
  std::string folder_;
};

// Proposes `sop_class` (a Study Root query/retrieve model) in the uncompressed syntaxes.
void AddQueryRetrieveContext(Client& client, const char* sop_class) {
  client.addPresentationContext(sop_class, Syntaxes({UID_LittleEndianExplicitTransferSyntax,
                                                     UID_LittleEndianImplicitTransferSyntax}));
}

// Opens the association with the contexts added so far; the presentation context the peer
// accepted for `sop_class`, or kUnsupported (`service` names it) with the association released.
Result<T_ASC_PresentationContextID> Associate(Client& client, const DimsePeer& peer,
                                              const char* sop_class, const char* service) {
  OFCondition cond = client.initNetwork();
  if (cond.good()) cond = client.negotiateAssociation();
  if (cond.bad())
    return IoError("cannot open an association with " + Describe(peer) + ": " + cond.text());
  const T_ASC_PresentationContextID pc = client.findPresentationContextID(sop_class, "");
  if (pc == 0) {
    client.releaseAssociation();
    return Unsupported(Describe(peer) + " does not take Study Root " + service);
  }
  return pc;
}

std::string Text(DcmItem* item, const DcmTagKey& tag) {
  OFString v;
  if (item == nullptr || item->findAndGetOFStringArray(tag, v).bad()) return {};
  return v.c_str();
}

// The retrieve's final response: sub-operation counts, or an error for a failed status.
Status ReadFinalStatus(const OFList<RetrieveResponse*>& responses, const DimsePeer& peer,
                       const char* what, DimseRetrieval* out) {
  if (responses.empty()) return IoError(std::string(what) + ": no response from " + Describe(peer));
  const RetrieveResponse* last = responses.back();
  out->completed = last->m_numberOfCompletedSubops;
  out->failed = last->m_numberOfFailedSubops;
  out->warnings = last->m_numberOfWarningSubops;
  // 0000 success, B000 some sub-operations failed (the counts say which): both are answers.
  if (last->m_status != 0x0000 && last->m_status != 0xB000) {
    char status[8];
    std::snprintf(status, sizeof status, "%04X", last->m_status);
    return IoError(std::string(what) + " refused by " + Describe(peer) + ": status " + status);
  }
  return Status::Ok();
}

template <typename T>
void FreeAll(OFList<T*>& list) {
  for (T* r : list) delete r;
  list.clear();
}

}  // namespace

Result<DimsePeer> ParseDimsePeer(const std::string& text) {
  DimsePeer peer;
  const size_t at = text.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= text.size())
    return InvalidArgument("--dimse: expected AET@host:port, got '" + text + "'");
  peer.ae_title = text.substr(0, at);
  std::string rest = text.substr(at + 1);
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
        port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535)
      return InvalidArgument("--dimse: not a port: '" + port + "'");
    peer.port = std::stoi(port);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return InvalidArgument("--dimse: no host in '" + text + "'");
  if (peer.ae_title.size() > 16)
    return InvalidArgument("--dimse: an AE title has at most 16 characters");
  peer.host = rest;
  return peer;
}

Result<std::vector<RemoteStudy>> FindStudies(const DimsePeer& peer, const StudyQuery& query) {
  Client client(peer, "");
  AddQueryRetrieveContext(client, UID_FINDStudyRootQueryRetrieveInformationModel);
  DL_ASSIGN_OR_RETURN(
      const T_ASC_PresentationContextID pc,
      Associate(client, peer, UID_FINDStudyRootQueryRetrieveInformationModel, "C-FIND"));
  DcmDataset keys;
  keys.putAndInsertOFStringArray(DCM_QueryRetrieveLevel, "STUDY");
  keys.putAndInsertOFStringArray(DCM_StudyInstanceUID, query.study_instance_uid.c_str());
  keys.putAndInsertOFStringArray(DCM_StudyDate, query.study_date.c_str());
  keys.putAndInsertOFStringArray(DCM_ModalitiesInStudy, query.modality.c_str());
  keys.putAndInsertOFStringArray(DCM_NumberOfStudyRelatedInstances, "");
  keys.putAndInsertOFStringArray(DCM_SOPClassesInStudy, "");
  OFList<QRResponse*> responses;
  OFCondition cond = client.sendFINDRequest(pc, &keys, &responses);
  std::vector<RemoteStudy> out;
  Status result;
  if (cond.bad()) {
    result = IoError("C-FIND with " + Describe(peer) + ": " + cond.text());
  } else {
    for (QRResponse* r : responses) {
      if (r->m_dataset == nullptr) {
        if (r->m_status != 0x0000) {
          char status[8];
          std::snprintf(status, sizeof status, "%04X", r->m_status);
          result = IoError("C-FIND refused by " + Describe(peer) + ": status " + status);
        }
        continue;
      }
      RemoteStudy s;
      s.study_instance_uid = Text(r->m_dataset, DCM_StudyInstanceUID);
      if (s.study_instance_uid.empty()) continue;
      s.study_date = Text(r->m_dataset, DCM_StudyDate);
      const std::string n = Text(r->m_dataset, DCM_NumberOfStudyRelatedInstances);
      if (!n.empty()) s.instances = std::strtoll(n.c_str(), nullptr, 10);
      std::string classes = Text(r->m_dataset, DCM_SOPClassesInStudy);
      for (size_t start = 0; !classes.empty() && start <= classes.size();) {
        size_t end = classes.find('\\', start);
        if (end == std::string::npos) end = classes.size();
        if (end > start) s.sop_classes.push_back(classes.substr(start, end - start));
        start = end + 1;
      }
      out.push_back(std::move(s));
    }
  }
  FreeAll(responses);
  client.releaseAssociation();
  if (!result.ok()) return result;
  return out;
}

Result<DimseRetrieval> GetStudy(const DimsePeer& peer, const RemoteStudy& study,
                                const std::string& folder) {
  Client client(peer, folder);
  AddQueryRetrieveContext(client, UID_GETStudyRootQueryRetrieveInformationModel);
  std::vector<std::string> classes = study.sop_classes;
  if (classes.empty())
    classes.assign(std::begin(kCommonStorageClasses), std::end(kCommonStorageClasses));
  // At most 128 presentation contexts in an association (PS3.8 9.3.2.2: odd IDs 1-255), one taken
  // by the C-GET itself: the transfer syntaxes proposed per class shrink with the classes.
  const size_t per_class =
      std::max<size_t>(1, std::min(std::size(kGetTransferSyntaxes), 127 / classes.size()));
  for (size_t c = 0; c < classes.size() && c < 127; ++c) {
    for (size_t t = 0; t < per_class; ++t) {
      client.addPresentationContext(classes[c].c_str(), Syntaxes({kGetTransferSyntaxes[t]}),
                                    ASC_SC_ROLE_SCP);
    }
  }
  DL_ASSIGN_OR_RETURN(
      const T_ASC_PresentationContextID pc,
      Associate(client, peer, UID_GETStudyRootQueryRetrieveInformationModel, "C-GET"));
  DcmDataset keys;
  keys.putAndInsertOFStringArray(DCM_QueryRetrieveLevel, "STUDY");
  keys.putAndInsertOFStringArray(DCM_StudyInstanceUID, study.study_instance_uid.c_str());
  OFList<RetrieveResponse*> responses;
  OFCondition cond = client.sendCGETRequest(pc, &keys, &responses);
  Status st = cond.bad() ? IoError("C-GET with " + Describe(peer) + ": " + cond.text())
                         : ReadFinalStatus(responses, peer, "C-GET", &client.retrieval);
  FreeAll(responses);
  client.releaseAssociation();
  if (!st.ok())
    return st.WithContext(std::to_string(client.retrieval.files.size()) +
                          " instance(s) of the study were stored before the fault");
  return std::move(client.retrieval);
}

Result<DimseRetrieval> MoveStudy(const DimsePeer& peer, const std::string& study_instance_uid,
                                 const std::string& destination_ae) {
  Client client(peer, "");
  AddQueryRetrieveContext(client, UID_MOVEStudyRootQueryRetrieveInformationModel);
  DL_ASSIGN_OR_RETURN(
      const T_ASC_PresentationContextID pc,
      Associate(client, peer, UID_MOVEStudyRootQueryRetrieveInformationModel, "C-MOVE"));
  DcmDataset keys;
  keys.putAndInsertOFStringArray(DCM_QueryRetrieveLevel, "STUDY");
  keys.putAndInsertOFStringArray(DCM_StudyInstanceUID, study_instance_uid.c_str());
  OFList<RetrieveResponse*> responses;
  OFCondition cond = client.sendMOVERequest(pc, destination_ae.c_str(), &keys, &responses);
  Status st = cond.bad() ? IoError("C-MOVE with " + Describe(peer) + ": " + cond.text())
                         : ReadFinalStatus(responses, peer, "C-MOVE", &client.retrieval);
  FreeAll(responses);
  client.releaseAssociation();
  if (!st.ok()) return st;
  return std::move(client.retrieval);
}

}  // namespace dicomlake::net
