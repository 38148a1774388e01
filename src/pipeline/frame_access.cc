#include "pipeline/frame_access.h"

#include <fmt/format.h>

#include "common/fs.h"
#include "scan/archive.h"

namespace dicomlake::pipeline {
uint32_t StoredInstance::FrameCount() const {
  return frames && !frames->empty() ? frames->back().frame_number : 0;
}

Result<dicom::FrameIndex> FrameIndexFromValue(const lake::Value& value) {
  dicom::FrameIndex index;
  for (const lake::Value& range : value.items) {
    if (range.items.size() != 3) return Corrupt("a frameIndex entry without three fields");
    index.push_back({static_cast<uint32_t>(range.items[0].i), range.items[1].i, range.items[2].i});
  }
  return index;
}

Status RequireBronze(lake::Engine& engine) {
  DL_ASSIGN_OR_RETURN(lake::QueryResult bronze,
                      engine.Query("SELECT 1 FROM information_schema.tables WHERE table_schema = "
                                   "'bronze' AND table_name = 'ImagingDicom'"));
  if (bronze.rows.empty()) {
    return NotFound(
        "the lake has no bronze.ImagingDicom yet: ingest first (dicomlake ingest or dicomlake "
        "run)");
  }
  return Status::Ok();
}

Result<std::string> InstancesRelation(lake::Engine& engine) {
  DL_ASSIGN_OR_RETURN(lake::QueryResult r,
                      engine.Query("SELECT count(*) FROM information_schema.tables WHERE "
                                   "table_schema = 'admin' AND table_name = 'PurgedInstances'"));
  if (r.rows.at(0).at(0).i == 0) return std::string("bronze.ImagingDicom");
  return std::string(
      "(SELECT * FROM bronze.ImagingDicom UNION ALL BY NAME SELECT * FROM admin.PurgedInstances)");
}

Result<StoredInstance> FindStoredInstance(lake::Engine& engine, const lake::Lake& lake,
                                          const std::string& sop_instance_uid) {
  const std::string uid = lake::QuoteLiteral(sop_instance_uid);
  DL_ASSIGN_OR_RETURN(
      lake::QueryResult r,
      engine.Query(fmt::format(
          "SELECT sopInstanceUid, filePath, archiveMember, transferSyntaxUid, metadata_string, "
          "frameIndex FROM bronze.ImagingDicom WHERE sopInstanceUid = {} AND operation IS NULL "
          "ORDER BY createdDatetime DESC LIMIT 1",
          uid)));
  // Purged from bronze (`dicomlake purge`): its record, with the DICOM JSON from silver.
  std::string instances = "bronze.ImagingDicom";
  if (r.rows.empty()) {
    DL_ASSIGN_OR_RETURN(instances, InstancesRelation(engine));
  }
  if (r.rows.empty() && instances != "bronze.ImagingDicom") {
    DL_ASSIGN_OR_RETURN(
        r, engine.Query(fmt::format(
               "SELECT p.sopInstanceUid, p.filePath, p.archiveMember, p.transferSyntaxUid, "
               "(SELECT m.metadata_string FROM silver.ImagingMetastore m WHERE m.sopInstanceUid "
               "= p.sopInstanceUid AND m.msftSourceSystem = p.sourceSystem ORDER BY "
               "m.sourceModifiedAt DESC LIMIT 1), p.frameIndex FROM admin.PurgedInstances p "
               "WHERE p.sopInstanceUid = {} ORDER BY p.createdDatetime DESC LIMIT 1",
               uid)));
  }
  if (r.rows.empty()) {
    return NotFound("no instance " + sop_instance_uid + " in bronze.ImagingDicom");
  }
  const lake::Row& row = r.rows[0];
  StoredInstance in;
  in.sop_instance_uid = row[0].text();
  in.file_path = lake.ResolvePath(row[1].text());
  in.archive_member = row[2].text();
  in.transfer_syntax_uid = row[3].text();
  in.metadata_json = row[4].text();
  if (!row[5].is_null()) {
    DL_ASSIGN_OR_RETURN(in.frames, FrameIndexFromValue(row[5]));
  }
  return in;
}

Result<std::vector<std::string>> ReadFrames(const StoredInstance& instance,
                                            const std::vector<uint32_t>& numbers) {
  if (!instance.frames) {
    return NotFound("instance " + instance.sop_instance_uid +
                    " has no frame index (no Pixel Data, a deflated file, or ingested before "
                    "frame indexes existed)");
  }
  const uint32_t count = instance.FrameCount();
  std::vector<scan::ByteRange> ranges;
  std::vector<size_t> first_range;  // of each wanted frame, into `ranges`
  uint32_t previous = 0;
  for (uint32_t n : numbers) {
    if (n < 1 || n > count) {
      return InvalidArgument(fmt::format("instance {} has no frame {} (it has {})",
                                         instance.sop_instance_uid, n, count));
    }
    if (n <= previous) return InvalidArgument("frame numbers must be ascending, without repeats");
    previous = n;
    first_range.push_back(ranges.size());
    for (const dicom::FrameRange& r : *instance.frames) {
      if (r.frame_number == n) ranges.push_back({r.offset, r.length});
    }
  }
  first_range.push_back(ranges.size());
  DL_ASSIGN_OR_RETURN(std::vector<std::string> parts,
                      scan::ReadStoredRanges(instance.file_path, instance.archive_member, ranges));
  std::vector<std::string> out;
  for (size_t k = 0; k + 1 < first_range.size(); ++k) {
    std::string frame;
    for (size_t p = first_range[k]; p < first_range[k + 1]; ++p) frame += parts[p];
    out.push_back(std::move(frame));
  }
  return out;
}

}  // namespace dicomlake::pipeline
