// `dicomlake frames LAKE --sop UID [--frame N]... --to DIR [--raw]`: frames of one stored
// instance read through the frame index (only their bytes are read from the stored original),
// decoded into DIR/<SOPInstanceUID>.npy (stored values, shape (frames, rows, columns[, samples]),
// as `dicomlake pixels` writes them), or with --raw written as they are stored, one file per
// frame (DIR/<SOPInstanceUID>_<n>.<ext>). docs/pixels.md.
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

}  // namespace

void RegisterFrames(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::string sop;
    std::vector<uint32_t> frames;
    std::string to;
    bool raw = false;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args](Session& session) -> Result<int> {
    std::vector<std::string> warnings;
    DL_RETURN_IF_ERROR(session.lake->RegisterViews(*session.engine, &warnings));
    DL_ASSIGN_OR_RETURN(
        pipeline::StoredInstance instance,
        pipeline::FindStoredInstance(*session.engine, session.lake->root(), args->sop));
    std::vector<uint32_t> numbers = args->frames;
    if (numbers.empty()) {
      for (uint32_t n = 1; n <= instance.FrameCount(); ++n) numbers.push_back(n);
    }
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    DL_ASSIGN_OR_RETURN(std::vector<std::string> frames, pipeline::ReadFrames(instance, numbers));
    DL_RETURN_IF_ERROR(fs::MakeDirs(args->to));
    const std::string name = SafeName(instance.sop_instance_uid);
    size_t bytes_read = 0;
    for (const auto& f : frames) bytes_read += f.size();
    if (args->raw) {
      for (size_t k = 0; k < frames.size(); ++k) {
        std::string path = fs::Join(args->to, name + "_" + std::to_string(numbers[k]) +
                                                  RawExtension(instance.transfer_syntax_uid));
        DL_RETURN_IF_ERROR(WriteWhole(path, frames[k]));
        if (!global.quiet)
          std::printf("frame %u: %zu bytes -> %s\n", numbers[k], frames[k].size(), path.c_str());
      }
      return kExitOk;
    }
    DL_ASSIGN_OR_RETURN(pixels::PixelFormat format,
                        pixels::PixelFormatFromDicomJson(instance.metadata_json));
    std::string values;
    for (size_t k = 0; k < frames.size(); ++k) {
      Result<pixels::Frame> frame = Internal("not run");
      DL_RETURN_IF_ERROR(RunOnLargeStack(
          [&] { frame = pixels::DecodeFrameBytes(&format, std::move(frames[k])); }));
      if (!frame.ok()) {
        return frame.status().WithContext(
            fmt::format("instance {} frame {}", instance.sop_instance_uid, numbers[k]));
      }
      values.append(reinterpret_cast<const char*>(frame->bytes.data()), frame->bytes.size());
    }
    // The header after the frames: a codestream may correct the sign the metadata declares.
    std::string path = fs::Join(args->to, name + ".npy");
    DL_RETURN_IF_ERROR(
        WriteWhole(path, pixels::NpyHeader(format, static_cast<uint32_t>(frames.size())) + values));
    for (const auto& note : format.notes)
      std::cerr << "dicomlake: " << instance.sop_instance_uid << ": warning: " << note << "\n";
    if (!global.quiet) {
      std::printf(
          "%s: %zu of %u frame(s) of %ux%u, %u sample(s), %s, read through the frame "
          "index (%zu bytes) -> %s\n",
          instance.sop_instance_uid.c_str(), frames.size(), instance.FrameCount(), format.rows,
          format.columns, format.samples_per_pixel, pixels::NumpyDtype(format).c_str(), bytes_read,
          path.c_str());
    }
    return kExitOk;
  };
  auto* cmd = AddLakeCommand(
      app, "frames",
      "Read frames of one stored instance through the frame index (only their bytes are read): "
      "decoded into <SOPInstanceUID>.npy, or with --raw as stored, one file per frame",
      global, exit_code, body);
  cmd->add_option("--sop", args->sop, "SOP Instance UID")->required();
  cmd->add_option("--frame", args->frames, "Frame number, from 1 (repeatable; default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--to", args->to, "Folder to write into (created if needed)")->required();
  cmd->add_flag("--raw", args->raw,
                "Write each frame's bytes as stored (native bytes, or the codestream of an "
                "encapsulated frame) instead of decoding");
}

}  // namespace dicomlake::cli
