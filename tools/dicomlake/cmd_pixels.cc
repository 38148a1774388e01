// `dicomlake pixels FILE... --to DIR`: the decoded frames of each file as a NumPy array
// (DIR/<name>.npy, shape (frames, rows, columns[, samples])), the stored values as
// docs/pixels.md describes. Exit code 3 when a file could not be decoded (the others still are).
#include <cerrno>
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "common/fs.h"
#include "common/large_stack.h"
#include "pixels/pixels.h"

namespace dicomlake::cli {
namespace {

// The output name for `path` in `dir`: its file name with .npy, made unique with -1, -2 ...
std::string OutputPath(const std::string& dir, const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (name.empty()) name = "pixels";
  std::string out = fs::Join(dir, name + ".npy");
  for (int k = 1; fs::Exists(out); ++k)
    out = fs::Join(dir, name + "-" + std::to_string(k) + ".npy");
  return out;
}

// Decodes every frame of `path` into one .npy file at `out` (written whole or not at all).
Result<pixels::PixelFormat> WriteNpy(const std::string& path, const std::string& out) {
  DL_ASSIGN_OR_RETURN(auto reader, pixels::PixelReader::Open(path));
  const pixels::PixelFormat& format = reader->format();
  std::string bytes = pixels::NpyHeader(format, format.frames);
  bytes.reserve(bytes.size() + format.FrameBytes() * format.frames);
  for (uint32_t i = 0; i < format.frames; ++i) {
    DL_ASSIGN_OR_RETURN(pixels::Frame frame, reader->ReadFrame(i));
    bytes.append(reinterpret_cast<const char*>(frame.bytes.data()), frame.bytes.size());
  }
  // An export, not lake state: no fsync (a killed run leaves at worst a partial array, which the
  // next run overwrites), written under a temporary name and renamed so a reader never sees half.
  std::string partial = out + ".partial";
  DL_RETURN_IF_ERROR(fs::WriteFile(partial, {bytes}));
  if (std::rename(partial.c_str(), out.c_str()) != 0) {
    return ErrnoError(errno, "cannot rename " + partial + " to " + out);
  }
  return format;
}

}  // namespace

void RegisterPixels(CLI::App& app, GlobalOptions& global, int* exit_code) {
  struct Args {
    std::vector<std::string> files;
    std::string to;
  };
  auto args = std::make_shared<Args>();
  auto body = [&global, args]() -> Result<int> {
    DL_RETURN_IF_ERROR(fs::MakeDirs(args->to));
    int rc = kExitOk;
    for (const auto& path : args->files) {
      std::string out = OutputPath(args->to, path);
      Result<pixels::PixelFormat> format = Internal("not run");
      Status st = RunOnLargeStack([&] { format = WriteNpy(path, out); });
      if (st.ok()) st = format.status();
      if (!st.ok()) {
        std::cerr << "dicomlake: " << path << ": " << st.message() << "\n";
        rc = kExitInputFailures;
        continue;
      }
      for (const auto& note : format->notes)
        std::cerr << "dicomlake: " << path << ": warning: " << note << "\n";
      if (!global.quiet) {
        std::printf("%s: %u frame(s) of %ux%u, %u sample(s), %s -> %s\n", path.c_str(),
                    format->frames, format->rows, format->columns, format->samples_per_pixel,
                    pixels::NumpyDtype(*format).c_str(), out.c_str());
      }
    }
    return rc;
  };
  auto* cmd = AddCommand(app, "pixels",
                         "Decode the frames of DICOM files into NumPy arrays (<name>.npy: frames x "
                         "rows x columns [x samples], stored values)",
                         exit_code, body);
  cmd->add_option("files", args->files, "DICOM files")->required();
  cmd->add_option("--to", args->to, "Folder to write the .npy files into (created if needed)")
      ->required();
}

}  // namespace dicomlake::cli
