// Deduplication in bronze ImagingDicom (ARCHITECTURE section 3): an instance whose
// (datasetHash, sopInstanceUid) or (contentHash, sopInstanceUid) bronze already holds, or held
// before `dicomlake purge` removed it (admin.PurgedInstances), is not appended again. The data
// set's hash makes one instance one identity however it arrives (a file, C-STORE, STOW-RS: a
// receiver rebuilds the file meta group); the whole file's hash matches rows written before
// datasetHash existed (their datasetHash is NULL). DedupIndex holds
// bronze's keys as sorted 64-bit hashes (8 bytes per instance), read once per run in slices, so
// a batch does not scan all of bronze; a key whose hash is present (a re-delivery, or a rare
// collision) is checked exactly against bronze (FindNewRows).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/delta_table.h"
#include "lake/value.h"

namespace dicomlake::lake {
class Engine;
}  // namespace dicomlake::lake

namespace dicomlake::bronze {

// The dedup key of a row in ImagingDicomSchema() order: (datasetHash, sopInstanceUid), or
// (contentHash, sopInstanceUid) for a row without a datasetHash. Rows with equal keys are the
// same instance version.
std::string DedupKey(const lake::Row& row);
// The 64-bit hashes of every key that identifies the row: its DedupKey, and its
// (contentHash, sopInstanceUid) key when that differs.
std::vector<uint64_t> DedupKeyHashes(const lake::Row& row);

class DedupIndex {
 public:
  // Reads every key of `snapshot` of bronze, and of `purged` (a SQL relation with contentHash,
  // datasetHash and sopInstanceUid: the records of rows `dicomlake purge` removed; empty for
  // none).
  Status Load(const lake::DeltaTable& bronze, const lake::Snapshot& snapshot, lake::Engine& engine,
              const std::string& purged = "");
  bool loaded() const { return loaded_; }
  // False: bronze certainly does not hold the key. True: it may.
  bool MayContain(uint64_t key_hash) const;
  // Adds the keys of rows just committed.
  void Add(const std::vector<uint64_t>& key_hashes);

 private:
  std::vector<uint64_t> hashes_;  // sorted
  bool loaded_ = false;
};

// Of the rows staged in temp table `staging` (ImagingDicom columns plus __idx), the indexes in
// `candidates` whose key neither `snapshot` of bronze nor `purged` (as for Load) holds.
Result<std::set<size_t>> FindNewRows(const lake::DeltaTable& bronze, const lake::Snapshot& snapshot,
                                     lake::Engine& engine, const std::string& staging,
                                     const std::vector<size_t>& candidates,
                                     const std::string& purged = "");

// Appends the rows of `staging` whose __idx is in `indexes` to bronze.
Result<lake::CommitOutcome> AppendStagedRows(lake::DeltaTable& bronze, lake::Engine& engine,
                                             const std::string& staging,
                                             const std::vector<size_t>& indexes);

// Those of `paths` that some row of bronze (its latest snapshot) has as filePath.
Result<std::set<std::string>> ReferencedFilePaths(const lake::DeltaTable& bronze,
                                                  lake::Engine& engine,
                                                  const std::vector<std::string>& paths);

// The newest sourceModifiedAt (UTC microseconds) bronze holds, per namespace: the watermark of
// the inventory pattern.
Result<std::map<std::string, int64_t>> NewestSourceModified(const lake::DeltaTable& bronze,
                                                            lake::Engine& engine);

}  // namespace dicomlake::bronze
