// The files `dicomlake export` writes, one slice at a time (a volume is never whole in memory):
// NIfTI-1 volumes (.nii.gz), NumPy arrays (.npy) and PNG images. Each is written under a
// temporary name (".partial") and renamed into place by Close(), so a reader never sees half a
// file; an export is not lake state, so nothing is fsynced.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "pixels/volume.h"

namespace dicomlake::pixels {

// NIfTI-1 data types (nifti1.h).
enum class NiftiType : int16_t {
  kUint8 = 2,
  kInt8 = 256,
  kInt16 = 4,
  kInt32 = 8,
  kFloat32 = 16,
  kRgb24 = 128,
  kUint16 = 512,
  kUint32 = 768,
};
int NiftiBytesPerVoxel(NiftiType type);

struct NiftiVolume {
  uint32_t columns = 0, rows = 0, slices = 0;
  NiftiType type = NiftiType::kInt16;
  double scl_slope = 1, scl_inter = 0;  // value = stored * slope + inter
  std::string description;              // up to 79 characters are kept
};

// Writes a .nii.gz in dcm2niix's layout: x = column, y = row counted from the bottom of the
// image (dcm2niix flips the rows), z = slice in the volume's order; sform and qform (scanner,
// code 1) in NIfTI's RAS+ convention from the volume's LPS affine; a sheared affine (gantry
// tilt) gets the sform only. Slices are passed top row first, as decoded; the writer flips them.
// The file is a series of gzip members (the header, then one per slice), compressed at `level`.
class NiftiWriter {
 public:
  static Result<std::unique_ptr<NiftiWriter>> Create(const std::string& path,
                                                     const NiftiVolume& header,
                                                     const Volume& geometry, int level = 6);
  ~NiftiWriter();
  Status AppendSlice(const void* voxels, size_t bytes);
  Status Close();

 private:
  NiftiWriter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The NIfTI header (348 bytes + the 4-byte extension flag) for `header` and `geometry`.
std::string NiftiHeader(const NiftiVolume& header, const Volume& geometry);
// The volume's affine as NIfTI stores it: voxel (i, j', k) -> RAS mm, j' counted from the
// bottom row. affine[r][c].
void NiftiAffine(const Volume& geometry, uint32_t rows, double out[4][4]);

// Writes an .npy array of known shape, slice by slice.
class NpyWriter {
 public:
  static Result<std::unique_ptr<NpyWriter>> Create(const std::string& path,
                                                   const std::string& dtype,
                                                   const std::vector<uint64_t>& shape);
  ~NpyWriter();
  Status Append(const void* data, size_t bytes);
  Status Close();  // an error when fewer bytes were appended than the shape holds

 private:
  NpyWriter() = default;
  std::string path_, partial_;
  std::FILE* file_ = nullptr;
  uint64_t expected_ = 0, written_ = 0;
};

// Writes an 8-bit grey (samples 1) or RGB (samples 3) PNG, rows top first.
Status WritePng(const std::string& path, uint32_t columns, uint32_t rows, int samples,
                const uint8_t* pixels);

}  // namespace dicomlake::pixels
