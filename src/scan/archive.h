// Archives (ZIP incl. zip64, TAR, TAR.GZ) recognised by content and expanded with libarchive
// into a staging folder, safely: member names with "..", absolute names, links, device files
// and encrypted members are refused with a reason; an archive that expands beyond the size or
// ratio limits (a zip bomb) is refused as a whole; nothing is written outside the staging
// folder. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "scan/source.h"

namespace dicomlake::scan {

enum class ArchiveKind { kNone, kZip, kTar, kGzip };

// Recognises an archive from its first bytes (at least 262 for TAR): ZIP "PK\3\4" (or an empty
// ZIP "PK\5\6"), gzip 1F 8B, TAR "ustar" at offset 257.
ArchiveKind DetectArchive(const std::string& head);

struct ArchiveLimits {
  uint64_t max_total_bytes = 64ULL << 30;  // expanded bytes of one archive
  double max_ratio = 1000;                 // expanded bytes / archive bytes
  uint64_t max_members = 1000000;
};

// Expands `archive` (one SourceFile) into `staging_dir`. Each member becomes a SourceFile whose
// `path` is in the staging folder, `source_path` the archive, `archive_member` the member name,
// and `relative_path` the archive's relative path + "!" + member. A refused member is listed in
// `refused`; a refused archive (corrupt, a zip bomb) is an error with the reason.
Status ExpandArchive(const SourceFile& archive, const std::string& staging_dir,
                     const ArchiveLimits& limits, std::vector<SourceFile>* members,
                     std::vector<Refusal>* refused);

// Extracts the members named in `wanted` from `archive_path` (ZIP, TAR, TAR.GZ, or a single
// gzip-compressed file whose one member is named as the file without ".gz") into `dest_dir`, in
// one pass over the archive: the stored originals of the Ingest pattern (one-entry ZIPs) and of
// archives kept in place. Returns member name -> extracted file (numbered names in `dest_dir`); a
// wanted member that is not in the archive is absent from the result. At most
// `limits.max_total_bytes` are written.
Result<std::map<std::string, std::string>> ExtractMembers(const std::string& archive_path,
                                                          const std::set<std::string>& wanted,
                                                          const std::string& dest_dir,
                                                          const ArchiveLimits& limits = {});

// The XXH3-128 (hex) and size of a member's bytes.
struct MemberHash {
  std::string hash;
  int64_t bytes = 0;
};

// Hashes the members named in `wanted` of `archive_path` (the archives ExtractMembers reads), in
// one pass and without writing them anywhere: fixity checks of stored originals. A wanted member
// that is not in the archive is absent from the result.
Result<std::map<std::string, MemberHash>> HashMembers(const std::string& archive_path,
                                                      const std::set<std::string>& wanted);

// A byte range of a stored original (the DICOM file's own bytes, as a frame index gives them).
struct ByteRange {
  int64_t offset = 0;
  int64_t length = 0;
};

// Reads `ranges` (in ascending, non-overlapping order) of the DICOM file stored at `file_path`
// or, when `archive_member` is not empty, stored as that member of the archive `file_path` (the
// Process copies of the Ingest pattern, archives read in place). A plain file is read at the
// offsets; a member is streamed once up to the end of the last range (a compressed member
// cannot be entered in the middle), keeping only the ranges. An error names what is missing or
// short.
Result<std::vector<std::string>> ReadStoredRanges(const std::string& file_path,
                                                  const std::string& archive_member,
                                                  const std::vector<ByteRange>& ranges);

}  // namespace dicomlake::scan
