#include "bronze/dedup_index.h"

#include <algorithm>

#include "bronze/imaging_dicom.h"
#include "common/hash.h"
#include "lake/delta_table.h"
#include "lake/engine.h"

namespace dicomlake::bronze {
namespace {

std::string KeyOf(const lake::Value& content_hash, const lake::Value& sop) {
  std::string key = content_hash.is_null() ? std::string("\x01") : content_hash.s;
  key += '\x1f';
  key += sop.is_null() ? std::string("\x01") : sop.s;
  return key;
}

std::string IndexList(const std::vector<size_t>& indexes) {
  std::string out;
  for (size_t k : indexes) out += (out.empty() ? "" : ",") + std::to_string(k);
  return out;
}

}  // namespace

namespace {
const int kContentHash = ImagingDicomSchema().IndexOf("contentHash");
const int kDatasetHash = ImagingDicomSchema().IndexOf("datasetHash");
const int kSop = ImagingDicomSchema().IndexOf("sopInstanceUid");
}  // namespace

std::string DedupKey(const lake::Row& row) {
  const lake::Value& dataset = row[kDatasetHash];
  return KeyOf(dataset.is_null() ? row[kContentHash] : dataset, row[kSop]);
}

std::vector<uint64_t> DedupKeyHashes(const lake::Row& row) {
  std::vector<uint64_t> out{Xxh3_64(DedupKey(row))};
  if (!row[kDatasetHash].is_null() && row[kDatasetHash].s != row[kContentHash].s)
    out.push_back(Xxh3_64(KeyOf(row[kContentHash], row[kSop])));
  return out;
}

Status DedupIndex::Load(const lake::DeltaTable& bronze, const lake::Snapshot& snapshot,
                        lake::Engine& engine, const std::string& purged) {
  loaded_ = true;
  if (snapshot.files.empty() && purged.empty()) return Status::Ok();
  std::string scan =
      "SELECT NULL::VARCHAR AS contentHash, NULL::VARCHAR AS datasetHash, NULL::VARCHAR AS "
      "sopInstanceUid LIMIT 0";
  if (!snapshot.files.empty()) {
    DL_ASSIGN_OR_RETURN(scan, bronze.ScanSql(snapshot));
  }
  if (!purged.empty()) {
    scan = "SELECT contentHash, datasetHash, sopInstanceUid FROM (" + scan +
           ") UNION ALL BY NAME SELECT contentHash, datasetHash, sopInstanceUid FROM " + purged;
  }
  // Slices of about 200,000 keys: no query result holds all of bronze.
  const int64_t records = snapshot.NumRecords();
  const int64_t slices = records < 0 ? 16 : records / 200000 + 1;
  for (int64_t slice = 0; slice < slices; ++slice) {
    DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                        engine.Query("SELECT contentHash, datasetHash, sopInstanceUid FROM (" +
                                     scan + ") WHERE hash(contentHash) % " +
                                     std::to_string(slices) + " = " + std::to_string(slice)));
    for (const auto& row : r.rows) {
      hashes_.push_back(Xxh3_64(KeyOf(row[0], row[2])));
      if (!row[1].is_null() && row[1].s != row[0].s)
        hashes_.push_back(Xxh3_64(KeyOf(row[1], row[2])));
    }
  }
  std::sort(hashes_.begin(), hashes_.end());
  return Status::Ok();
}

bool DedupIndex::MayContain(uint64_t key_hash) const {
  return std::binary_search(hashes_.begin(), hashes_.end(), key_hash);
}

void DedupIndex::Add(const std::vector<uint64_t>& key_hashes) {
  const size_t old_size = hashes_.size();
  hashes_.insert(hashes_.end(), key_hashes.begin(), key_hashes.end());
  auto middle = hashes_.begin() + static_cast<std::ptrdiff_t>(old_size);
  std::sort(middle, hashes_.end());
  std::inplace_merge(hashes_.begin(), middle, hashes_.end());
}

Result<std::set<size_t>> FindNewRows(const lake::DeltaTable& bronze, const lake::Snapshot& snapshot,
                                     lake::Engine& engine, const std::string& staging,
                                     const std::vector<size_t>& candidates,
                                     const std::string& purged) {
  std::set<size_t> out;
  if (candidates.empty()) return out;
  if (snapshot.files.empty() && purged.empty())
    return std::set<size_t>(candidates.begin(), candidates.end());
  auto absent_from = [](const std::string& relation) {
    return " AND NOT EXISTS (SELECT 1 FROM " + relation +
           " b WHERE b.sopInstanceUid IS NOT DISTINCT FROM s.sopInstanceUid AND "
           "(b.contentHash IS NOT DISTINCT FROM s.contentHash OR b.datasetHash = "
           "s.datasetHash))";
  };
  std::string sql = "SELECT __idx FROM " + lake::QuoteIdent(staging) + " s WHERE __idx IN (" +
                    IndexList(candidates) + ")";
  if (!snapshot.files.empty()) {
    DL_ASSIGN_OR_RETURN(std::string scan, bronze.ScanSql(snapshot));
    sql += absent_from("(" + scan + ")");
  }
  if (!purged.empty()) sql += absent_from(purged);
  DL_ASSIGN_OR_RETURN(lake::QueryResult keep, engine.Query(sql));
  for (const auto& row : keep.rows) out.insert(static_cast<size_t>(row[0].i));
  return out;
}

Result<lake::CommitOutcome> AppendStagedRows(lake::DeltaTable& bronze, lake::Engine& engine,
                                             const std::string& staging,
                                             const std::vector<size_t>& indexes) {
  return bronze.Append(engine, "SELECT * FROM " + lake::QuoteIdent(staging) + " WHERE __idx IN (" +
                                   IndexList(indexes) + ")");
}

Result<std::set<std::string>> ReferencedFilePaths(const lake::DeltaTable& bronze,
                                                  lake::Engine& engine,
                                                  const std::vector<std::string>& paths) {
  std::set<std::string> out;
  DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, bronze.Load(engine));
  if (snapshot.files.empty() || paths.empty()) return out;
  DL_ASSIGN_OR_RETURN(std::string scan, bronze.ScanSql(snapshot));
  std::string list;
  for (const auto& p : paths) list += (list.empty() ? "" : ",") + lake::QuoteLiteral(p);
  DL_ASSIGN_OR_RETURN(lake::QueryResult r, engine.Query("SELECT DISTINCT filePath FROM (" + scan +
                                                        ") WHERE filePath IN (" + list + ")"));
  for (const auto& row : r.rows) out.insert(row[0].s);
  return out;
}

Result<std::map<std::string, int64_t>> NewestSourceModified(const lake::DeltaTable& bronze,
                                                            lake::Engine& engine) {
  std::map<std::string, int64_t> out;
  DL_ASSIGN_OR_RETURN(lake::Snapshot snapshot, bronze.Load(engine));
  DL_ASSIGN_OR_RETURN(std::string scan, bronze.ScanSql(snapshot));
  DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                      engine.Query("SELECT sourceSystem, max(epoch_us(sourceModifiedAt)) FROM (" +
                                   scan + ") WHERE sourceSystem IS NOT NULL GROUP BY 1"));
  for (const auto& row : r.rows) {
    if (!row[1].is_null()) out[row[0].s] = row[1].i;
  }
  return out;
}

}  // namespace dicomlake::bronze
