// `dicomlake frames LAKE (--sop UID... | --sql QUERY) [--frame N]... --to DIR [--raw]`: frames of
// stored instances read through the frame index (only their bytes are read from the stored
// original), decoded into DIR/<SOPInstanceUID>.npy (stored values, shape (frames, rows, columns[,
// samples]), as `dicomlake pixels` writes them), or with --raw written as they are stored, one file
// per frame (DIR/<SOPInstanceUID>_<n>.<ext>). Exit code 3 when an instance could not be read or
// decoded (the others still are). docs/pixels.md.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "common/fs.h"
#include "common/large_stack.h"
#include "dicom/frame_index.h"
#include "pipeline/frame_access.h"
#include "pixels/pixels.h"

namespace dicomlake::cli {
namespace {

// A file name made of a UID (a damaged one may hold anything).
std::string SafeName(const std::string& uid) {
  std::string out;
  for (char c : uid) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' ? c : '_';
  return out.empty() ? "instance" : out;
}

// The file extension of a raw frame of `transfer_syntax_uid`.
std::string RawExtension(const std::string& uid) {
  if (uid == "1.2.840.10008.1.2.5") return ".rle";
  if (uid == "1.2.840.10008.1.2.4.80" || uid == "1.2.840.10008.1.2.4.81") return ".jls";
  std::string marker = dicom::FrameStartMarker(uid);
  if (marker == "\xFF\xD8") return ".jpg";
  if (marker == "\xFF\x4F") return uid.rfind("1.2.840.10008.1.2.4.20", 0) == 0 ? ".jph" : ".j2c";
  return ".raw";
}

Status WriteWhole(const std::string& path, const std::string& bytes) {
  std::string partial = path + ".partial";
  DL_RETURN_IF_ERROR(fs::WriteFile(partial, {bytes}));
  if (std::rename(partial.c_str(), path.c_str()) != 0)
    return ErrnoError(errno, "cannot rename " + partial + " to " + path);
  return Status::Ok();
}

struct FramesArgs {
  std::vector<std::string> sops;
  std::string sql;
  std::vector<uint32_t> frames;
  std::string to;
  bool raw = false;
};

// Reads (and unless --raw decodes) the wanted frames of one instance into `args.to`.
Status WriteInstanceFrames(Session& session, const std::string& sop, const FramesArgs& args,
                           bool quiet) {
  DL_ASSIGN_OR_RETURN(pipeline::StoredInstance instance,
                      pipeline::FindStoredInstance(*session.engine, *session.lake, sop));
  std::vector<uint32_t> numbers = args.frames;
  if (numbers.empty()) {
    for (uint32_t n = 1; n <= instance.FrameCount(); ++n) numbers.push_back(n);
  }
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  DL_ASSIGN_OR_RETURN(std::vector<std::string> frames, pipeline::ReadFrames(instance, numbers));
  const std::string name = SafeName(instance.sop_instance_uid);
  size_t bytes_read = 0;
  for (const auto& f : frames) bytes_read += f.size();
  if (args.raw) {
    for (size_t k = 0; k < frames.size(); ++k) {
      std::string path = fs::Join(args.to, name + "_" + std::to_string(numbers[k]) +
                                               RawExtension(instance.transfer_syntax_uid));
      DL_RETURN_IF_ERROR(WriteWhole(path, frames[k]));
      if (!quiet)
        std::printf("%s frame %u: %zu bytes -> %s\n", sop.c_str(), numbers[k], frames[k].size(),
                    path.c_str());
    }
    return Status::Ok();
  }
  DL_ASSIGN_OR_RETURN(pixels::PixelFormat format,
                      pixels::PixelFormatFromDicomJson(instance.metadata_json));
  std::string values;
  for (size_t k = 0; k < frames.size(); ++k) {
    Result<pixels::Frame> frame = Internal("not run");
    DL_RETURN_IF_ERROR(
        RunOnLargeStack([&] { frame = pixels::DecodeFrameBytes(&format, std::move(frames[k])); }));
    if (!frame.ok()) return frame.status().WithContext(fmt::format("frame {}", numbers[k]));
    values.append(reinterpret_cast<const char*>(frame->bytes.data()), frame->bytes.size());
  }
  // The header after the frames: a codestream may correct the sign the metadata declares.
  std::string path = fs::Join(args.to, name + ".npy");
  DL_RETURN_IF_ERROR(
      WriteWhole(path, pixels::NpyHeader(format, static_cast<uint32_t>(frames.size())) + values));
  for (const auto& note : format.notes)
    std::cerr << "dicomlake: " << sop << ": warning: " << note << "\n";
  if (!quiet) {
    std::printf(
        "%s: %zu of %u frame(s) of %ux%u, %u sample(s), %s, read through the frame index (%zu "
        "bytes) -> %s\n",
        sop.c_str(), frames.size(), instance.FrameCount(), format.rows, format.columns,
        format.samples_per_pixel, pixels::NumpyDtype(format).c_str(), bytes_read, path.c_str());
  }
  return Status::Ok();
}

}  // namespace

void RegisterFrames(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<FramesArgs>();
  auto body = [&global, args](Session& session) -> Result<int> {
    std::vector<std::string> warnings;
    DL_RETURN_IF_ERROR(session.lake->RegisterViews(*session.engine, &warnings));
    DL_RETURN_IF_ERROR(pipeline::RequireBronze(*session.engine));
    std::vector<std::string> sops = args->sops;
    if (!args->sql.empty()) {
      auto selected = session.engine->Query(args->sql);
      if (!selected.ok())
        return InvalidQuery("the --sql query failed: " + selected.status().message());
      if (selected->column_names.empty())
        return InvalidArgument("the --sql query returns no column");
      for (const auto& row : selected->rows) {
        if (!row.empty() && !row[0].is_null()) sops.push_back(row[0].ToDisplay());
      }
    }
    if (args->sops.empty() && args->sql.empty())
      return InvalidArgument("no instance: give --sop or --sql");
    if (sops.empty()) return NotFound("no instance: the --sql query found none");
    DL_RETURN_IF_ERROR(fs::MakeDirs(args->to));
    int rc = kExitOk;
    for (const std::string& sop : sops) {
      Status st = WriteInstanceFrames(session, sop, *args, global.quiet);
      // A full disk ends the run; an instance that cannot be read (a missing or damaged stored
      // original) or decoded is reported and the others still are.
      if (st.code() == StatusCode::kNoSpace || st.code() == StatusCode::kOutOfMemory ||
          st.code() == StatusCode::kInternal)
        return st;
      if (!st.ok()) {
        std::cerr << "dicomlake: " << sop << ": " << st.message() << "\n";
        rc = kExitInputFailures;
      }
    }
    return rc;
  };
  auto* cmd = AddLakeCommand(
      app, "frames",
      "Read frames of stored instances through the frame index (only their bytes are read): "
      "decoded into <SOPInstanceUID>.npy, or with --raw as stored, one file per frame",
      global, exit_code, body);
  cmd->add_option("--sop", args->sops, "SOP Instance UID (repeatable)");
  cmd->add_option("--sql", args->sql,
                  "A query whose first column holds SOP Instance UIDs (e.g. SELECT sopInstanceUid "
                  "FROM bronze.ImagingDicom WHERE modality = 'US')");
  cmd->add_option("--frame", args->frames,
                  "Frame number, from 1 (repeatable; default: all frames of each instance)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--to", args->to, "Folder to write into (created if needed)")->required();
  cmd->add_flag("--raw", args->raw,
                "Write each frame's bytes as stored (native bytes, or the codestream of an "
                "encapsulated frame) instead of decoding");
}

}  // namespace dicomlake::cli
