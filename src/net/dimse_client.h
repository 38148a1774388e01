// A DIMSE client for pulling from a PACS (PS3.4 Annex C, Study Root Query/Retrieve), over DCMTK's
// DcmSCU: C-FIND of studies, then each study retrieved by C-GET (the instances come back on the
// same association and are written bit-preserving into the spool, durably before each C-STORE
// response) or by C-MOVE (the peer sends them to our own storage receiver, which the caller
// runs: net/storage_receiver.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "net/dicomweb_client.h"

namespace dicomlake::net {

struct DimsePeer {
  std::string ae_title, host;
  int port = 104;
  std::string calling_ae = "DICOMLAKE";  // our AE title
  int timeout_seconds = 60;              // ACSE and DIMSE
};

// "AET@host:port" (port 104 when left out).
Result<DimsePeer> ParseDimsePeer(const std::string& text);

// C-FIND at the STUDY level (date range, modality, one study) with NumberOfStudyRelatedInstances
// and SOPClassesInStudy asked for. Errors name the peer and the DIMSE status or network error.
Result<std::vector<RemoteStudy>> FindStudies(const DimsePeer& peer, const StudyQuery& query);

// C-GET of one study into `folder`. `study.sop_classes` are proposed for the C-STOREs back (a
// set of common storage classes when empty), each with the transfer syntaxes in order of
// preference on presentation contexts of their own, so the peer can send each instance as it
// stores it. Instances the peer could not send are counted in `failed_suboperations`.
struct DimseRetrieval {
  std::vector<std::string> files;  // stored in the spool, in order (C-GET)
  int64_t bytes = 0;
  int64_t completed = 0, failed = 0, warnings = 0;  // sub-operations, as the peer reports them
  std::vector<std::string> failures;                // "<SOP Instance UID>: reason" (ours)
};
Result<DimseRetrieval> GetStudy(const DimsePeer& peer, const RemoteStudy& study,
                                const std::string& folder);

// C-MOVE of one study to `destination_ae` (an AE title the peer knows: our receiver's).
Result<DimseRetrieval> MoveStudy(const DimsePeer& peer, const std::string& study_instance_uid,
                                 const std::string& destination_ae);

}  // namespace dicomlake::net
