#include "pipeline/export_series.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "bronze/file_store.h"
#include "common/fs.h"
#include "pixels/pixels.h"
#include "pixels/values.h"
#include "pixels/volume.h"
#include "pixels/writers.h"

namespace dicomlake::pipeline {
namespace {

using pixels::PixelFormat;

// The decodable files of a series: what the header pass learnt of each.
struct SeriesFiles {
  std::vector<std::string> paths;  // readable path per instance ("" when not available)
  std::vector<PixelFormat> formats;
  std::vector<pixels::ImageAttributes> attributes;
  std::vector<bool> ok;
};

// Reads every file's pixel description and attributes (the pixel data stays in the file).
void ReadHeaders(const CohortSeries& s, SeriesFiles* files, SeriesOutcome* out) {
  const size_t n = s.instances.size();
  files->formats.assign(n, {});
  files->attributes.assign(n, {});
  files->ok.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (files->paths[i].empty()) continue;
    auto reader = pixels::PixelReader::Open(files->paths[i]);
    if (!reader.ok() && reader.status().code() == StatusCode::kNotFound) {
      ++out->without_pixels;
      continue;
    }
    if (!reader.ok()) {
      out->failures.push_back(
          {s.instances[i].file_path, s.instances[i].archive_member, reader.status().message()});
      continue;
    }
    files->formats[i] = (*reader)->format();
    files->attributes[i] = (*reader)->attributes();
    files->ok[i] = true;
  }
}

// Frames read in a volume's order; the last file stays open (multi-frame files).
class FrameSource {
 public:
  explicit FrameSource(const SeriesFiles& files) : files_(files) {}
  Result<pixels::Frame> Read(const pixels::SliceRef& slice) {
    if (reader_ == nullptr || open_ != slice.file) {
      reader_.reset();
      DL_ASSIGN_OR_RETURN(reader_, pixels::PixelReader::Open(files_.paths[slice.file]));
      open_ = slice.file;
    }
    return reader_->ReadFrame(slice.frame);
  }

 private:
  const SeriesFiles& files_;
  std::unique_ptr<pixels::PixelReader> reader_;
  size_t open_ = 0;
};

std::string Json3(const double* v) { return fmt::format("[{:g}, {:g}, {:g}]", v[0], v[1], v[2]); }

// How a monochrome volume's values go into NIfTI: the stored values with one scl_slope /
// scl_inter when every slice has the same format and the same linear, non-inverted Modality
// LUT (what dcm2niix writes); else float32 modality values.
struct NiftiEncoding {
  pixels::NiftiType type = pixels::NiftiType::kFloat32;
  bool stored = false;
  double slope = 1, intercept = 0;
};

NiftiEncoding ChooseNifti(const pixels::Volume& v, const SeriesFiles& files) {
  NiftiEncoding e;
  const pixels::SliceRef& first = v.slices.front();
  const PixelFormat& f = files.formats[first.file];
  if (pixels::IsColour(f)) {
    e.type = pixels::NiftiType::kRgb24;
    return e;
  }
  auto t0 = pixels::TransformOf(f, files.attributes[first.file], first.frame);
  for (const auto& s : v.slices) {
    const PixelFormat& g = files.formats[s.file];
    auto t = pixels::TransformOf(g, files.attributes[s.file], s.frame);
    if (g.bits_allocated != f.bits_allocated || g.is_signed != f.is_signed || t.table != nullptr ||
        t.invert || t.slope != t0.slope || t.intercept != t0.intercept)
      return e;
  }
  e.stored = true;
  e.slope = t0.slope;
  e.intercept = t0.intercept;
  switch (f.bits_allocated) {
    case 8:
      e.type = f.is_signed ? pixels::NiftiType::kInt8 : pixels::NiftiType::kUint8;
      break;
    case 16:
      e.type = f.is_signed ? pixels::NiftiType::kInt16 : pixels::NiftiType::kUint16;
      break;
    default:
      e.type = f.is_signed ? pixels::NiftiType::kInt32 : pixels::NiftiType::kUint32;
  }
  return e;
}

// The NumPy dtype of a volume: uint8 RGB for colour; for monochrome the dtype that holds every
// slice's modality values exactly (float32 when slices disagree).
std::string ChooseNpy(const pixels::Volume& v, const SeriesFiles& files) {
  const pixels::SliceRef& first = v.slices.front();
  if (pixels::IsColour(files.formats[first.file])) return "|u1";
  std::string dtype;
  for (const auto& s : v.slices) {
    const PixelFormat& f = files.formats[s.file];
    std::string d =
        pixels::ModelDtype(f, pixels::TransformOf(f, files.attributes[s.file], s.frame));
    if (!dtype.empty() && d != dtype) return "<f4";
    dtype = d;
  }
  return dtype;
}

class SeriesExporter {
 public:
  SeriesExporter(const CohortSeries& series, ExportFormat format, const std::string& root,
                 SeriesFiles& files, SeriesOutcome* out)
      : series_(series), format_(format), root_(root), files_(files), out_(out) {
    relative_base_ =
        fs::Join(fs::Join(SafeName(series.patient_id), SafeName(series.study_instance_uid)),
                 SafeName(series.series_instance_uid));
  }

  void Run(const pixels::VolumePlan& plan) {
    for (const auto& problem : plan.problems) Problem(problem);
    const size_t n = plan.volumes.size();
    for (size_t k = 0; k < n; ++k) {
      const pixels::Volume& v = plan.volumes[k];
      ExportOutput o;
      o.volume = static_cast<int>(k + 1);
      std::string name = relative_base_ + (n > 1 ? fmt::format("_{}", k + 1) : "");
      std::set<size_t> files;
      for (const auto& s : v.slices) files.insert(s.file);
      o.files = static_cast<int64_t>(files.size());
      o.frames = static_cast<int64_t>(v.slices.size());
      o.spacing = Json3(v.spacing);
      std::vector<std::string> notes = v.notes;
      Status st;
      switch (format_) {
        case ExportFormat::kNifti:
          o.output = name + ".nii.gz";
          st = WriteNifti(v, o.output, &o.shape);
          break;
        case ExportFormat::kNpy:
          o.output = name + ".npy";
          st = WriteNpy(v, o.output, &o.shape);
          break;
        default:
          o.output = name;
          st = WritePngs(v, o.output, &o.shape);
      }
      if (!st.ok()) {
        notes.insert(notes.begin(), "not written: " + st.message());
        o.output.clear();
      } else if (format_ != ExportFormat::kPng) {
        Status sidecar = WriteSidecar(v, o, name + ".json");
        if (!sidecar.ok()) notes.push_back("sidecar not written: " + sidecar.message());
      }
      for (const auto& note : notes) o.problem += (o.problem.empty() ? "" : "; ") + note;
      out_->outputs.push_back(std::move(o));
    }
  }

 private:
  void Problem(const std::string& text) {
    ExportOutput o;
    o.problem = text;
    out_->outputs.push_back(std::move(o));
  }

  void Count(const std::string& relative) {
    ++out_->files_written;
    if (auto st = fs::Stat(fs::Join(root_, relative)); st.ok()) out_->bytes_written += st->size;
  }

  // A frame, or the failure of its file recorded and returned.
  Result<pixels::Frame> ReadFrame(FrameSource& source, const pixels::SliceRef& s) {
    auto frame = source.Read(s);
    if (!frame.ok()) {
      const CohortInstance& in = series_.instances[s.file];
      std::string reason = fmt::format("frame {} of {} not decoded: {}", s.frame + 1,
                                       in.sop_instance_uid, frame.status().message());
      out_->failures.push_back({in.file_path, in.archive_member, reason});
      return InvalidArgument(reason);
    }
    return frame;
  }

  Status WriteNifti(const pixels::Volume& v, const std::string& relative, std::string* shape) {
    const pixels::SliceRef& first = v.slices.front();
    NiftiEncoding e = ChooseNifti(v, files_);
    encoding_note_ = e.type == pixels::NiftiType::kRgb24 ? "RGB, 8 bits per sample"
                     : e.stored ? "stored values; value = stored * scl_slope + scl_inter"
                                : "modality values (float32)";
    pixels::NiftiVolume h;
    h.columns = first.columns;
    h.rows = first.rows;
    h.slices = static_cast<uint32_t>(v.slices.size());
    h.type = e.type;
    h.scl_slope = e.slope;
    h.scl_inter = e.intercept;
    h.description = series_.modality + " " + series_.description;
    std::string path = fs::Join(root_, relative);
    DL_RETURN_IF_ERROR(fs::MakeDirs(path.substr(0, path.rfind('/'))));
    DL_ASSIGN_OR_RETURN(auto writer, pixels::NiftiWriter::Create(path, h, v));
    FrameSource source(files_);
    std::string buffer;
    for (const auto& s : v.slices) {
      DL_ASSIGN_OR_RETURN(pixels::Frame frame, ReadFrame(source, s));
      const PixelFormat& f = files_.formats[s.file];
      if (e.type == pixels::NiftiType::kRgb24) {
        DL_ASSIGN_OR_RETURN(auto rgb, pixels::Rgb8(frame, f, files_.attributes[s.file]));
        DL_RETURN_IF_ERROR(writer->AppendSlice(rgb.data(), rgb.size()));
      } else if (e.stored) {
        DL_RETURN_IF_ERROR(writer->AppendSlice(frame.bytes.data(), frame.bytes.size()));
      } else {
        auto values = pixels::ModalityValues(
            frame, f, pixels::TransformOf(f, files_.attributes[s.file], s.frame));
        buffer.clear();
        pixels::AppendAs("<f4", values, &buffer);
        DL_RETURN_IF_ERROR(writer->AppendSlice(buffer.data(), buffer.size()));
      }
    }
    DL_RETURN_IF_ERROR(writer->Close());
    Count(relative);
    pixels::NiftiAffine(v, first.rows, nifti_affine_);
    *shape = fmt::format("[{}, {}, {}{}]", h.columns, h.rows, h.slices,
                         e.type == pixels::NiftiType::kRgb24 ? ", 3" : "");
    return Status::Ok();
  }

  Status WriteNpy(const pixels::Volume& v, const std::string& relative, std::string* shape) {
    const pixels::SliceRef& first = v.slices.front();
    std::string dtype = ChooseNpy(v, files_);
    bool colour = dtype == "|u1";
    encoding_note_ = colour ? "RGB, 8 bits per sample" : "modality values, MONOCHROME2 polarity";
    std::vector<uint64_t> dims = {v.slices.size(), first.rows, first.columns};
    if (colour) dims.push_back(3);
    std::string path = fs::Join(root_, relative);
    DL_RETURN_IF_ERROR(fs::MakeDirs(path.substr(0, path.rfind('/'))));
    DL_ASSIGN_OR_RETURN(auto writer, pixels::NpyWriter::Create(path, dtype, dims));
    FrameSource source(files_);
    std::string buffer;
    for (const auto& s : v.slices) {
      DL_ASSIGN_OR_RETURN(pixels::Frame frame, ReadFrame(source, s));
      const PixelFormat& f = files_.formats[s.file];
      if (colour) {
        DL_ASSIGN_OR_RETURN(auto rgb, pixels::Rgb8(frame, f, files_.attributes[s.file]));
        DL_RETURN_IF_ERROR(writer->Append(rgb.data(), rgb.size()));
        continue;
      }
      auto values = pixels::ModalityValues(
          frame, f, pixels::TransformOf(f, files_.attributes[s.file], s.frame));
      buffer.clear();
      pixels::AppendAs(dtype, values, &buffer);
      DL_RETURN_IF_ERROR(writer->Append(buffer.data(), buffer.size()));
    }
    DL_RETURN_IF_ERROR(writer->Close());
    Count(relative);
    *shape = "[";
    for (size_t i = 0; i < dims.size(); ++i) *shape += (i ? ", " : "") + std::to_string(dims[i]);
    *shape += "]";
    return Status::Ok();
  }

  // One windowed 8-bit PNG per frame: <folder>/0001.png ... in the volume's order.
  Status WritePngs(const pixels::Volume& v, const std::string& relative, std::string* shape) {
    DL_RETURN_IF_ERROR(fs::MakeDirs(fs::Join(root_, relative)));
    FrameSource source(files_);
    int k = 0;
    for (const auto& s : v.slices) {
      DL_ASSIGN_OR_RETURN(pixels::Frame frame, ReadFrame(source, s));
      const PixelFormat& f = files_.formats[s.file];
      std::string name = fs::Join(relative, fmt::format("{:04d}.png", ++k));
      int samples = 1;
      std::vector<uint8_t> image;
      if (pixels::IsColour(f)) {
        DL_ASSIGN_OR_RETURN(image, pixels::Rgb8(frame, f, files_.attributes[s.file]));
        samples = 3;
      } else {
        auto t = pixels::TransformOf(f, files_.attributes[s.file], s.frame);
        bool invert = t.invert;
        t.invert = false;  // the window is in the stored polarity; the image is inverted after
        image = pixels::WindowTo8Bit(pixels::ModalityValues(frame, f, t),
                                     files_.attributes[s.file].frames[s.frame]);
        if (invert)
          for (auto& b : image) b = static_cast<uint8_t>(255 - b);
      }
      DL_RETURN_IF_ERROR(
          pixels::WritePng(fs::Join(root_, name), f.columns, f.rows, samples, image.data()));
      Count(name);
    }
    *shape = fmt::format("[{}, {}, {}]", v.slices.size(), v.slices.front().rows,
                         v.slices.front().columns);
    return Status::Ok();
  }

  Status WriteSidecar(const pixels::Volume& v, const ExportOutput& o, const std::string& relative) {
    const pixels::SliceRef& first = v.slices.front();
    const PixelFormat& f = files_.formats[first.file];
    nlohmann::ordered_json j;
    j["PatientID"] = series_.patient_id;
    j["StudyInstanceUID"] = series_.study_instance_uid;
    j["SeriesInstanceUID"] = series_.series_instance_uid;
    j["Modality"] = series_.modality;
    j["SeriesDescription"] = series_.description;
    j["Volume"] = o.volume;
    if (!v.label.empty()) j["VolumeLabel"] = v.label;
    j["Output"] = o.output.substr(o.output.rfind('/') + 1);
    j["Values"] = encoding_note_;
    const auto& a = files_.attributes[first.file];
    if (!a.rescale_type.empty()) j["RescaleType"] = a.rescale_type;
    j["PhotometricInterpretation"] = f.photometric;
    j["TransferSyntaxUID"] = f.transfer_syntax_uid;
    j["Spacing"] = {v.spacing[0], v.spacing[1], v.spacing[2]};
    j["HasGeometry"] = v.has_geometry;
    if (v.has_geometry) {
      j["ImageOrientationPatientDICOM"] = first.attributes.orientation;
      j["ImagePositionPatientFirstSlice"] = first.attributes.position;
    }
    auto matrix = [](const double m[4][4]) {
      nlohmann::json rows = nlohmann::json::array();
      for (int r = 0; r < 4; ++r) rows.push_back({m[r][0], m[r][1], m[r][2], m[r][3]});
      return rows;
    };
    j["AffineLPS"] = matrix(v.affine);
    if (format_ == ExportFormat::kNifti) j["AffineRAS"] = matrix(nifti_affine_);
    nlohmann::json slices = nlohmann::json::array();
    for (const auto& s : v.slices) {
      slices.push_back(
          {{"SOPInstanceUID", series_.instances[s.file].sop_instance_uid}, {"Frame", s.frame + 1}});
    }
    j["Slices"] = slices;
    if (!v.notes.empty()) j["Notes"] = v.notes;
    std::string path = fs::Join(root_, relative);
    DL_RETURN_IF_ERROR(fs::WriteFile(path, {j.dump(2), "\n"}));
    Count(relative);
    return Status::Ok();
  }

  const CohortSeries& series_;
  ExportFormat format_;
  const std::string& root_;
  SeriesFiles& files_;
  SeriesOutcome* out_;
  std::string relative_base_;
  std::string encoding_note_;
  double nifti_affine_[4][4] = {};
};

// --format dicom: the originals, bit for bit, as <series>/<SOPInstanceUID>.dcm.
void CopyOriginals(const CohortSeries& s, const SeriesFiles& files, const std::string& root,
                   SeriesOutcome* out) {
  ExportOutput o;
  o.output = fs::Join(fs::Join(SafeName(s.patient_id), SafeName(s.study_instance_uid)),
                      SafeName(s.series_instance_uid));
  Status st = fs::MakeDirs(fs::Join(root, o.output));
  for (size_t i = 0; st.ok() && i < s.instances.size(); ++i) {
    if (files.paths[i].empty()) continue;
    std::string name = fs::Join(o.output, SafeName(s.instances[i].sop_instance_uid) + ".dcm");
    Status copied =
        bronze::CopyFileDurable(files.paths[i], fs::Join(root, name), bronze::Durability::kLater);
    if (!copied.ok()) {
      out->failures.push_back({s.instances[i].file_path, s.instances[i].archive_member,
                               "not copied: " + copied.message()});
      continue;
    }
    ++o.files;
    ++out->files_written;
    if (auto stat = fs::Stat(fs::Join(root, name)); stat.ok()) out->bytes_written += stat->size;
  }
  if (!st.ok()) o.problem = "not written: " + st.message(), o.output.clear();
  o.volume = 1;
  out->outputs.push_back(std::move(o));
}

}  // namespace

std::string SafeName(const std::string& id) {
  std::string out;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || out == "." || out == "..") return "unknown";
  return out;
}

SeriesOutcome ExportOneSeries(const CohortSeries& series, ExportFormat format,
                              const std::string& root, const std::string& scratch) {
  SeriesOutcome out;
  SeriesFiles files;
  files.paths = MaterialiseOriginals(series, scratch, &out.failures);
  if (format == ExportFormat::kDicom) {
    CopyOriginals(series, files, root, &out);
  } else {
    ReadHeaders(series, &files, &out);
    std::vector<pixels::SliceRef> slices;
    for (size_t i = 0; i < series.instances.size(); ++i) {
      if (!files.ok[i]) continue;
      const PixelFormat& f = files.formats[i];
      for (uint32_t k = 0; k < f.frames; ++k) {
        pixels::SliceRef s;
        s.file = i;
        s.frame = k;
        s.rows = f.rows;
        s.columns = f.columns;
        s.samples = pixels::IsColour(f) ? 3 : 1;
        s.instance_number = files.attributes[i].instance_number;
        s.attributes = files.attributes[i].frames[k];
        slices.push_back(std::move(s));
      }
    }
    pixels::VolumePlan plan = pixels::PlanVolumes(std::move(slices));
    SeriesExporter(series, format, root, files, &out).Run(plan);
  }
  if (!out.failures.empty()) {
    std::string problem =
        fmt::format("{} file(s) left out: {}", out.failures.size(), out.failures.front().reason);
    if (out.outputs.empty()) out.outputs.emplace_back();
    for (auto& o : out.outputs)
      o.problem = o.problem.empty() ? problem : problem + "; " + o.problem;
  }
  if (out.without_pixels > 0 && format != ExportFormat::kDicom) {
    std::string note =
        fmt::format("{} instance(s) without Pixel Data left out", out.without_pixels);
    if (out.outputs.empty()) out.outputs.emplace_back();
    for (auto& o : out.outputs) o.problem = o.problem.empty() ? note : o.problem + "; " + note;
  }
  if (out.outputs.empty()) {
    ExportOutput o;
    o.problem = "no decodable image in the series";
    out.outputs.push_back(std::move(o));
  }
  (void)fs::RemoveAll(scratch);
  return out;
}

}  // namespace dicomlake::pipeline
