// The Delta Lake transaction log: actions, commit files and checkpoints (reference:
// ../shared/reference/sources/delta-PROTOCOL.md, summary in standards.md section 4).
// dicomlake writes protocol (reader 1, writer 2), metaData, add (with stats), remove,
// commitInfo; it reads those plus txn, and ignores unknown actions and fields as the protocol
// requires. Checkpoints are classic single-file V1 Parquet checkpoints.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "lake/schema.h"

namespace dicomlake::lake {

class Engine;

using StringMap = std::map<std::string, std::string>;

struct ProtocolAction {
  int min_reader_version = 1;
  int min_writer_version = 2;
  std::vector<std::string> reader_features, writer_features;
};

struct MetadataAction {
  std::string id;  // a GUID
  std::string name, description;
  std::string provider = "parquet";
  StringMap format_options;
  std::string schema_string;
  std::vector<std::string> partition_columns;
  StringMap configuration;
  int64_t created_time = 0;  // ms since epoch
};

struct AddAction {
  std::string path;  // decoded (the log stores it percent-encoded, RFC 2396)
  StringMap partition_values;
  int64_t size = 0;
  int64_t modification_time = 0;
  bool data_change = true;
  std::string stats;  // JSON text, may be empty
  StringMap tags;
};

struct RemoveAction {
  std::string path;  // decoded
  int64_t deletion_timestamp = 0;
  bool data_change = true;
  std::optional<int64_t> size;
};

struct TxnAction {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated;
};

// One commit file (or, for a checkpoint, the live state): the actions it holds.
struct Commit {
  std::string commit_info;  // raw JSON object text of commitInfo, or empty
  std::optional<ProtocolAction> protocol;
  std::optional<MetadataAction> metadata;
  std::vector<RemoveAction> removes;
  std::vector<AddAction> adds;
  std::vector<TxnAction> txns;
};

// Serialises a commit as newline-delimited JSON, one action per line, commitInfo first.
std::string SerializeCommit(const Commit& commit);
// Parses a commit file's text. `where` names the table and version in errors.
Result<Commit> ParseCommit(const std::string& text, const std::string& where);

// RFC 2396 percent-encoding of add/remove paths, and its inverse.
std::string EncodePath(const std::string& path);
std::string DecodePath(const std::string& path);

// "<root>/_delta_log/<20-digit version>.json" and the checkpoint's name.
std::string CommitFileName(int64_t version);
std::string CheckpointFileName(int64_t version);

// The state of a table at one version.
struct Snapshot {
  int64_t version = -1;
  ProtocolAction protocol;
  MetadataAction metadata;
  Schema schema;
  std::map<std::string, AddAction> files;          // live data files by decoded path
  std::map<std::string, RemoveAction> tombstones;  // removed files by decoded path
  std::map<std::string, TxnAction> txns;           // by appId
  std::optional<int64_t> checkpoint_version;       // the checkpoint this snapshot was read through

  int64_t NumRecords() const;  // sum of numRecords over files with stats; -1 if any lacks them
  int64_t SizeBytes() const;
};

// Reads and writes one table's `_delta_log`. Holds no state beyond its paths; every method
// re-reads the file system, so separate processes may use the same table.
class DeltaLog {
 public:
  // `table_root` is the table folder; `display_name` (e.g. "bronze/ImagingDicom") names the table
  // in errors.
  DeltaLog(std::string table_root, std::string display_name);

  const std::string& root() const { return root_; }
  const std::string& name() const { return name_; }
  std::string log_dir() const;

  // True when the table has at least one commit.
  bool Exists() const;
  // The latest committed version, or kNotFound for a folder that is not a Delta table.
  Result<int64_t> LatestVersion() const;

  Result<Commit> ReadCommit(int64_t version) const;

  // The snapshot at `version` (latest when empty), read through the newest checkpoint at or
  // below it, then the JSON commits after it. Errors name the table and the version.
  Result<Snapshot> LoadSnapshot(Engine& engine, std::optional<int64_t> version = {}) const;

  // Creates commit `version` only if absent. kAlreadyExists when another writer won the version.
  Status TryCommit(int64_t version, const Commit& commit) const;

  // Writes `<version>.checkpoint.parquet` for the snapshot (which must be at that version) and
  // then `_last_checkpoint`. Tombstones older than `tombstone_retention_ms` are dropped.
  Status WriteCheckpoint(Engine& engine, const Snapshot& snapshot,
                         int64_t tombstone_retention_ms) const;

 private:
  struct Listing {
    std::vector<int64_t> commits;      // sorted
    std::vector<int64_t> checkpoints;  // sorted
  };
  Result<Listing> List() const;
  Status ReadCheckpoint(Engine& engine, int64_t version, Snapshot* snapshot) const;
  Status Apply(const Commit& commit, int64_t version, Snapshot* snapshot) const;

  std::string root_;
  std::string name_;
};

// Checks that this build can read (and, with `for_write`, write) a table with `protocol`.
Status CheckProtocol(const ProtocolAction& protocol, bool for_write, const std::string& where);

}  // namespace dicomlake::lake
