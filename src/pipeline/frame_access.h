// One frame of a stored instance, read through the frame index (bronze ImagingDicom.frameIndex,
// dicom/frame_index.h): only the frame's bytes are read from the stored original (a plain file
// at their offsets, an archive member streamed up to them) and nothing else of the file is
// parsed. What `dicomlake frames` writes, and what the DICOMweb frame retrieval serves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "dicom/frame_index.h"
#include "lake/engine.h"
#include "lake/lake.h"

namespace dicomlake::pipeline {

// The latest bronze row of one SOP Instance UID, as much of it as frames need.
struct StoredInstance {
  std::string sop_instance_uid;
  std::string file_path;  // absolute
  std::string archive_member;
  std::string transfer_syntax_uid;
  std::string metadata_json;                // metadata_string
  std::optional<dicom::FrameIndex> frames;  // NULL frameIndex: none
  uint32_t FrameCount() const;              // from the index; 0 without one
};

// A bronze frameIndex value (a list of {frameNumber, offset, length}) as a FrameIndex; kCorrupt
// for an entry that is not three numbers.
Result<dicom::FrameIndex> FrameIndexFromValue(const lake::Value& value);

// kNotFound, saying to ingest first, when the lake has no bronze.ImagingDicom (the lake's views
// must be registered in `engine`).
Status RequireBronze(lake::Engine& engine);

// The lake's instance rows as a SQL relation: bronze.ImagingDicom, with the records of rows
// `dicomlake purge` removed beside it (admin.PurgedInstances, UNION ALL BY NAME: the columns a
// record lacks, metadata_string among them, read NULL). The lake's views must be registered.
Result<std::string> InstancesRelation(lake::Engine& engine);

// The latest bronze row of `sop_instance_uid` (the lake's views must be registered in
// `engine`). kNotFound names the UID when bronze has no such instance.
Result<StoredInstance> FindStoredInstance(lake::Engine& engine, const lake::Lake& lake,
                                          const std::string& sop_instance_uid);

// The bytes of frames `numbers` (1-based, ascending, no repeats) of `instance`: a native frame's
// bytes, or an encapsulated frame's fragments joined (what WADO-RS returns for a frame in the
// stored transfer syntax). kNotFound without a frame index (the instance has no Pixel Data, is
// deflated, or was ingested before the index existed: docs/pixels.md); kInvalidArgument for a
// frame number the instance does not have.
Result<std::vector<std::string>> ReadFrames(const StoredInstance& instance,
                                            const std::vector<uint32_t>& numbers);

}  // namespace dicomlake::pipeline
