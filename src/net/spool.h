// The receivers' spool: where an instance received over the network is written, durably, before
// the sender is told it is stored. Layout: <spool>/<source>/<YYYYMMDD>/<SOP Instance UID>.dcm,
// where the source is the calling AE title (DIMSE) or "STOW-RS"; a second copy of the same SOP
// Instance UID on the same day gets ".1", ".2", ... before ".dcm" (the ingest decides whether it
// is a duplicate). A file is written under a hidden temporary name first (".<uuid>.part"),
// synced, renamed and the folder synced: a crash leaves either the whole file or a hidden part
// file the ingest does not read.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace dicomlake::net {

// `s` made safe as one path component: letters, digits, '-', '_', '.'; others become '_';
// surrounding spaces dropped; never empty, "." or "..".
std::string PathComponent(std::string s);

// The folder of today's (UTC) files from `source` under `spool`.
std::string SpoolFolder(const std::string& spool, const std::string& source);

// A fresh hidden temporary path in `folder` (not created).
std::string SpoolTempPath(const std::string& folder);

// Makes `temp` durable under the name of `sop_instance_uid` in `folder` (see above) and returns
// the final path. On failure `temp` is removed and nothing is kept.
Result<std::string> CommitSpoolFile(const std::string& temp, const std::string& folder,
                                    const std::string& sop_instance_uid);

// Removes the temporary files (".<uuid>.part") under `spool` last written more than
// `max_age_seconds` ago: left by a receiver that was killed while receiving (a live one writes
// its file at least once per DIMSE timeout). Returns how many were removed; errors are ignored
// (a file that cannot be removed now is tried again next time).
int RemoveStaleParts(const std::string& spool, int64_t max_age_seconds);

}  // namespace dicomlake::net
