// A DICOMweb client for pulling (PS3.18): QIDO-RS to list studies, WADO-RS to retrieve them as
// stored (`transfer-syntax=*`) into the spool, part by part, in bounded memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "net/dicom_parts.h"
#include "net/http_client.h"

namespace dicomlake::net {

struct StudyQuery {
  std::string study_date;  // a QIDO date or range: "20260101-", "20260101-20260131"; "": any
  std::string modality;    // ModalitiesInStudy; "": any
  std::string study_instance_uid;  // one study; "": any
  int page_size = 200;             // limit per QIDO request (paged with offset)
};

struct RemoteStudy {
  std::string study_instance_uid, study_date;
  int64_t instances = -1;  // NumberOfStudyRelatedInstances; -1 when the server does not say
  std::vector<std::string> sop_classes;  // SOPClassesInStudy (C-FIND), when the peer says
};

// Every study matching `query` on the server at `base_url` (".../dicom-web"), following pages.
// A server error or an answer that is not DICOM JSON is an error naming the URL and the status.
Result<std::vector<RemoteStudy>> QueryStudies(const std::string& base_url, const StudyQuery& query,
                                              const HttpAuth& auth);

struct RetrievedStudy {
  std::vector<StoredPart> parts;   // in the order received
  std::vector<std::string> files;  // stored in the spool
  int64_t bytes = 0;
  bool as_stored = true;  // false: the server refused transfer-syntax=* (it may have transcoded)
};

// Retrieves a study's instances (WADO-RS) into `folder`. Parts that are not DICOM or of another
// study are not kept (their reasons in `parts`). An error when the server does not answer 200
// with a multipart body, or the body breaks off (the parts complete before stay in `folder`).
Result<RetrievedStudy> RetrieveStudy(const std::string& base_url, const std::string& study,
                                     const HttpAuth& auth, const std::string& folder);

}  // namespace dicomlake::net
