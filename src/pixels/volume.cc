#include "pixels/volume.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

namespace dicomlake::pixels {
namespace {

// Two positions closer than this along the normal are the same position (mm).
constexpr double kSamePosition = 0.01;

struct Vec3 {
  double x = 0, y = 0, z = 0;
};
Vec3 Sub(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
Vec3 Scale(Vec3 a, double s) { return {a.x * s, a.y * s, a.z * s}; }
double Dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
double Norm(Vec3 a) { return std::sqrt(Dot(a, a)); }
Vec3 Cross(Vec3 a, Vec3 b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
Vec3 Position(const SliceRef& s) {
  const double* p = s.attributes.position;
  return {p[0], p[1], p[2]};
}
Vec3 RowDirection(const SliceRef& s) {
  const double* o = s.attributes.orientation;
  return {o[0], o[1], o[2]};
}
Vec3 ColumnDirection(const SliceRef& s) {
  const double* o = s.attributes.orientation;
  return {o[3], o[4], o[5]};
}

bool HasGeometry(const SliceRef& s) {
  return s.attributes.has_position && s.attributes.has_orientation &&
         Norm(Cross(RowDirection(s), ColumnDirection(s))) > 0.5;
}

// What must be equal for two frames to be in one volume.
std::string GroupKey(const SliceRef& s) {
  const FrameAttributes& a = s.attributes;
  std::string key = fmt::format("{}x{}x{}", s.rows, s.columns, s.samples);
  if (a.has_orientation) {
    for (double v : a.orientation) key += fmt::format("|{:.3f}", v + 0.0);
  }
  if (a.has_spacing) key += fmt::format("|{:.4f}|{:.4f}", a.spacing[0], a.spacing[1]);
  return key + "|e" + a.echo + "|t" + a.temporal + "|s" + a.stack;
}

// Repeats at one position are ordered by Acquisition Number, then Instance Number.
bool AcquisitionOrder(const SliceRef& a, const SliceRef& b) {
  long x = std::strtol(a.attributes.acquisition.c_str(), nullptr, 10);
  long y = std::strtol(b.attributes.acquisition.c_str(), nullptr, 10);
  if (x != y) return x < y;
  if (a.instance_number != b.instance_number) return a.instance_number < b.instance_number;
  return a.file != b.file ? a.file < b.file : a.frame < b.frame;
}

void SetAffine(Volume* v, Vec3 row, Vec3 column, Vec3 slice, Vec3 origin) {
  const Vec3 axes[4] = {row, column, slice, origin};
  for (int c = 0; c < 4; ++c) {
    v->affine[0][c] = axes[c].x;
    v->affine[1][c] = axes[c].y;
    v->affine[2][c] = axes[c].z;
    v->affine[3][c] = c == 3 ? 1 : 0;
  }
}

// A volume of one file's frames without geometry, in frame order; voxel sizes from Pixel Spacing.
Volume Unplaced(std::vector<SliceRef> slices) {
  std::stable_sort(slices.begin(), slices.end(), [](const SliceRef& a, const SliceRef& b) {
    if (a.instance_number != b.instance_number) return a.instance_number < b.instance_number;
    return a.file != b.file ? a.file < b.file : a.frame < b.frame;
  });
  Volume v;
  const FrameAttributes& a = slices.front().attributes;
  double thickness = a.slice_thickness > 0 ? a.slice_thickness : 1;
  v.spacing[0] = a.spacing[1];
  v.spacing[1] = a.spacing[0];
  v.spacing[2] = thickness;
  SetAffine(&v, {a.spacing[1], 0, 0}, {0, a.spacing[0], 0}, {0, 0, thickness}, {});
  v.slices = std::move(slices);
  return v;
}

// One regular run of distinct, sorted positions.
Volume Placed(std::vector<SliceRef> slices) {
  Volume v;
  v.has_geometry = true;
  const SliceRef& first = slices.front();
  Vec3 row = RowDirection(first), column = ColumnDirection(first);
  Vec3 normal = Cross(row, column);
  normal = Scale(normal, 1 / Norm(normal));
  const double row_spacing = first.attributes.spacing[0];
  const double column_spacing = first.attributes.spacing[1];
  Vec3 slice;
  if (slices.size() > 1) {
    slice = Scale(Sub(Position(slices.back()), Position(first)),
                  1.0 / static_cast<double>(slices.size() - 1));
    Vec3 lateral = Sub(slice, Scale(normal, Dot(slice, normal)));
    if (Norm(lateral) > kSamePosition) {
      v.sheared = true;
      v.notes.push_back(fmt::format(
          "positions are not along the slice normal (gantry tilt of {:.2f} degrees?): the affine "
          "is sheared (sform exact, no qform)",
          std::atan2(Norm(lateral), Dot(slice, normal)) * 180 / M_PI));
    }
  } else {
    double thickness = first.attributes.slice_thickness > 0 ? first.attributes.slice_thickness : 1;
    slice = Scale(normal, thickness);
  }
  SetAffine(&v, Scale(row, column_spacing), Scale(column, row_spacing), slice, Position(first));
  v.spacing[0] = column_spacing;
  v.spacing[1] = row_spacing;
  v.spacing[2] = Norm(slice);
  v.slices = std::move(slices);
  return v;
}

// Sorts one group along its normal and makes its volumes (see the header's rules).
void PlanGroup(std::vector<SliceRef> slices, VolumePlan* plan, std::vector<Volume>* out) {
  if (!std::all_of(slices.begin(), slices.end(), HasGeometry)) {
    // Without positions nothing says the files are one stack (projection images, a cine loop
    // per file): one volume per file, in Instance Number order.
    std::map<size_t, std::vector<SliceRef>> by_file;
    for (auto& s : slices) by_file[s.file].push_back(std::move(s));
    std::vector<Volume> volumes;
    for (auto& [file, frames] : by_file) volumes.push_back(Unplaced(std::move(frames)));
    std::stable_sort(volumes.begin(), volumes.end(), [](const Volume& a, const Volume& b) {
      return a.slices.front().instance_number < b.slices.front().instance_number;
    });
    for (auto& v : volumes) {
      if (volumes.size() > 1) {
        v.notes.push_back(
            "no Image Position/Orientation (Patient): one volume per instance (its frames)");
      }
      out->push_back(std::move(v));
    }
    return;
  }
  Vec3 normal = Cross(RowDirection(slices.front()), ColumnDirection(slices.front()));
  normal = Scale(normal, 1 / Norm(normal));
  auto along = [&](const SliceRef& s) { return Dot(Position(s), normal); };
  std::stable_sort(slices.begin(), slices.end(), [&](const SliceRef& a, const SliceRef& b) {
    double x = along(a), y = along(b);
    if (std::abs(x - y) >= kSamePosition) return x < y;
    return AcquisitionOrder(a, b);
  });
  // Clusters of one position.
  std::vector<std::vector<SliceRef>> positions;
  for (auto& s : slices) {
    if (positions.empty() || std::abs(along(s) - along(positions.back().front())) >= kSamePosition)
      positions.emplace_back();
    positions.back().push_back(std::move(s));
  }
  size_t repeats = positions.front().size();
  bool even = std::all_of(positions.begin(), positions.end(),
                          [&](const auto& p) { return p.size() == repeats; });
  if (repeats > 1 || !even) {
    if (!even) {
      plan->problems.push_back(
          fmt::format("{} frames at {} distinct positions, some positions repeated: not stacked",
                      slices.size(), positions.size()));
      return;
    }
    for (size_t r = 0; r < repeats; ++r) {
      std::vector<SliceRef> part;
      for (auto& p : positions) part.push_back(p[r]);
      size_t before = out->size();
      PlanGroup(std::move(part), plan, out);
      for (size_t k = before; k < out->size(); ++k) {
        (*out)[k].notes.push_back(fmt::format(
            "every position occurs {} times: repetition {} of {} (by Acquisition Number, then "
            "Instance Number)",
            repeats, r + 1, repeats));
      }
    }
    return;
  }
  // Runs of even spacing.
  std::vector<std::vector<SliceRef>> runs;
  double run_step = 0;
  for (auto& p : positions) {
    SliceRef& s = p.front();
    if (runs.empty()) {
      runs.push_back({std::move(s)});
      continue;
    }
    double step = along(s) - along(runs.back().back());
    if (runs.back().size() == 1) {
      run_step = step;
    } else if (std::abs(step - run_step) > std::max(kSamePosition, 0.01 * run_step)) {
      runs.push_back({});
    }
    runs.back().push_back(std::move(s));
  }
  for (size_t r = 0; r < runs.size(); ++r) {
    out->push_back(Placed(std::move(runs[r])));
    if (runs.size() > 1) {
      out->back().notes.push_back(fmt::format(
          "uneven slice spacing (a missing slice?): run {} of {} of evenly spaced slices", r + 1,
          runs.size()));
    }
  }
}

// A label per group from the attributes that tell the groups apart.
std::string Label(const SliceRef& s, const std::vector<std::vector<SliceRef>>& groups) {
  auto differs = [&](auto field) {
    for (const auto& g : groups)
      if (field(g.front()) != field(groups.front().front())) return true;
    return false;
  };
  std::vector<std::string> parts;
  auto echo = [](const SliceRef& x) { return x.attributes.echo; };
  auto temporal = [](const SliceRef& x) { return x.attributes.temporal; };
  auto stack = [](const SliceRef& x) { return x.attributes.stack; };
  auto size = [](const SliceRef& x) { return fmt::format("{}x{}", x.columns, x.rows); };
  auto orientation = [](const SliceRef& x) {
    const double* o = x.attributes.orientation;
    return fmt::format("{:g}\\{:g}\\{:g}\\{:g}\\{:g}\\{:g}", o[0] + 0.0, o[1] + 0.0, o[2] + 0.0,
                       o[3] + 0.0, o[4] + 0.0, o[5] + 0.0);
  };
  if (differs(echo)) parts.push_back("echo " + s.attributes.echo);
  if (differs(temporal)) parts.push_back("temporal position " + s.attributes.temporal);
  if (differs(stack)) parts.push_back("stack " + s.attributes.stack);
  if (differs(size)) parts.push_back("size " + size(s));
  if (differs(orientation)) parts.push_back("orientation " + orientation(s));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out.empty() ? "orientation or pixel spacing differs" : out;
}

}  // namespace

VolumePlan PlanVolumes(std::vector<SliceRef> slices) {
  VolumePlan plan;
  if (slices.empty()) return plan;
  std::map<std::string, size_t> index;
  std::vector<std::vector<SliceRef>> groups;
  for (auto& s : slices) {
    auto [it, added] = index.emplace(GroupKey(s), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(std::move(s));
  }
  std::vector<std::string> labels;
  for (const auto& g : groups) labels.push_back(groups.size() > 1 ? Label(g.front(), groups) : "");
  for (size_t i = 0; i < groups.size(); ++i) {
    const std::string& label = labels[i];
    size_t before = plan.volumes.size();
    PlanGroup(std::move(groups[i]), &plan, &plan.volumes);
    for (size_t k = before; k < plan.volumes.size(); ++k) plan.volumes[k].label = label;
  }
  if (groups.size() > 1) {
    for (auto& v : plan.volumes) {
      v.notes.insert(v.notes.begin(),
                     fmt::format("the series has {} kinds of frames (this volume: {})",
                                 groups.size(), v.label));
    }
  }
  return plan;
}

}  // namespace dicomlake::pixels
