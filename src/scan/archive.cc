#include "scan/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>

#include "common/fs.h"
#include "common/hash.h"

namespace dicomlake::scan {
namespace {

// A member name is safe when it is relative and has no ".." component (zip-slip).
bool SafeMemberName(const std::string& name, std::string* why) {
  if (name.empty()) {
    *why = "empty member name";
    return false;
  }
  if (name[0] == '/' || name[0] == '\\' || (name.size() > 1 && name[1] == ':')) {
    *why = "absolute member path";
    return false;
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    std::string part =
        name.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part == "..") {
      *why = "member path leaves the archive (\"..\")";
      return false;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

struct ArchiveCloser {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchiveReader = std::unique_ptr<struct archive, ArchiveCloser>;

// A reader of every archive format dicomlake ingests, opened on `path`.
Result<ArchiveReader> OpenArchive(const std::string& path) {
  ArchiveReader a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_zip(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  archive_read_support_format_raw(a.get());  // a single gzip-compressed file (x.dcm.gz)
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return InvalidArgument(std::string("not a readable archive: ") + archive_error_string(a.get()));
  }
  return a;
}

// The name of the current member; a raw (gzip-only) file's one member is its name without .gz.
std::string MemberName(struct archive* a, struct archive_entry* entry, const std::string& path) {
  if (archive_format(a) == ARCHIVE_FORMAT_RAW) {
    std::string base = path.substr(path.rfind('/') + 1);
    return base.size() > 3 && base.compare(base.size() - 3, 3, ".gz") == 0
               ? base.substr(0, base.size() - 3)
               : base;
  }
  const char* raw_name = archive_entry_pathname(entry);
  return raw_name ? raw_name : "";
}

// Writes the current member's data to a new file at `path`. `check` sees each block's size
// before it is written and may stop the copy with an error (the size limits).
Status CopyMember(struct archive* a, const std::string& name, const std::string& path,
                  std::vector<char>* buf, const std::function<Status(uint64_t)>& check) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return ErrnoError(errno, "cannot write " + path);
  Status st;
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf->data(), buf->size());
    if (n == 0) break;
    if (n < 0) {
      st = InvalidArgument("member " + name + " cannot be read: " + archive_error_string(a));
      break;
    }
    st = check(static_cast<uint64_t>(n));
    if (!st.ok()) break;
    if (::write(fd, buf->data(), static_cast<size_t>(n)) != n) {
      st = ErrnoError(errno, "cannot write " + path);
      break;
    }
  }
  ::close(fd);
  return st;
}

}  // namespace

ArchiveKind DetectArchive(const std::string& head) {
  if (head.size() >= 4 &&
      (head.compare(0, 4, "PK\x03\x04") == 0 || head.compare(0, 4, "PK\x05\x06") == 0)) {
    return ArchiveKind::kZip;
  }
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1F &&
      static_cast<unsigned char>(head[1]) == 0x8B) {
    return ArchiveKind::kGzip;
  }
  if (head.size() >= 262 && head.compare(257, 5, "ustar") == 0) return ArchiveKind::kTar;
  return ArchiveKind::kNone;
}

Status ExpandArchive(const SourceFile& archive_file, const std::string& staging_dir,
                     const ArchiveLimits& limits, std::vector<SourceFile>* members,
                     std::vector<Refusal>* refused) {
  DL_ASSIGN_OR_RETURN(ArchiveReader a, OpenArchive(archive_file.path));
  DL_RETURN_IF_ERROR(fs::MakeDirs(staging_dir));
  uint64_t total = 0, count = 0;
  uint64_t archive_size = std::max<uint64_t>(archive_file.size, 1);
  std::vector<char> buf(1 << 16);
  struct archive_entry* entry = nullptr;
  for (;;) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return InvalidArgument(std::string("damaged archive: ") + archive_error_string(a.get()));
    }
    if (++count > limits.max_members)
      return InvalidArgument("archive has more than the allowed number of members");
    std::string name = MemberName(a.get(), entry, archive_file.path);
    std::string where = archive_file.source_path + "!" + name;
    auto type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) continue;
    if (type != AE_IFREG || archive_entry_hardlink(entry) != nullptr) {
      refused->push_back({where, type == AE_IFLNK ? "symbolic link in archive: not followed"
                                                  : "not a regular file"});
      continue;
    }
    std::string why;
    if (!SafeMemberName(name, &why)) {
      refused->push_back({where, why});
      continue;
    }
    if (archive_entry_is_encrypted(entry)) {
      refused->push_back({where, "encrypted member"});
      continue;
    }
    // Flat, numbered staging names: one folder per member path would cost a mkdir per member,
    // which dominated the ingest of archives with deep folders (ext4 inode allocation).
    std::string out_path = fs::Join(staging_dir, std::to_string(count));
    uint64_t member_bytes = 0;
    Status st = CopyMember(a.get(), name, out_path, &buf, [&](uint64_t n) {
      total += n;
      member_bytes += n;
      // Checked while expanding: a bomb is stopped before it fills the disk.
      if (total > limits.max_total_bytes) {
        return InvalidArgument("archive expands beyond " + std::to_string(limits.max_total_bytes) +
                               " bytes (ingest.max_archive_bytes)");
      }
      if (total > (1u << 20) &&
          static_cast<double>(total) / static_cast<double>(archive_size) > limits.max_ratio) {
        return InvalidArgument("archive expands more than " +
                               std::to_string(static_cast<int64_t>(limits.max_ratio)) +
                               " times its size: refused as a zip bomb (ingest.max_archive_ratio)");
      }
      return Status::Ok();
    });
    if (!st.ok()) return st;
    SourceFile m;
    m.path = out_path;
    m.source_path = archive_file.source_path;
    m.relative_path = archive_file.relative_path + "!" + name;
    m.archive_member = name;
    m.namespace_name = archive_file.namespace_name;
    m.inventory_file = archive_file.inventory_file;
    m.size = member_bytes;
    m.mtime_ms = archive_entry_mtime_is_set(entry)
                     ? static_cast<int64_t>(archive_entry_mtime(entry)) * 1000
                     : archive_file.mtime_ms;
    members->push_back(std::move(m));
  }
  return Status::Ok();
}

namespace {

// Calls `visit(reader, name)` once for each regular member of `archive_path` named in `wanted`,
// in one pass, positioned at the member's data; stops when every wanted member was visited.
Status ForEachWantedMember(
    const std::string& archive_path, const std::set<std::string>& wanted,
    const std::function<Status(struct archive*, const std::string&)>& visit) {
  DL_ASSIGN_OR_RETURN(ArchiveReader a, OpenArchive(archive_path));
  std::set<std::string> seen;
  struct archive_entry* entry = nullptr;
  while (seen.size() < wanted.size()) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return InvalidArgument(std::string("damaged archive: ") + archive_error_string(a.get()));
    }
    std::string name = MemberName(a.get(), entry, archive_path);
    if (archive_entry_filetype(entry) != AE_IFREG || wanted.count(name) == 0 ||
        !seen.insert(name).second)
      continue;
    DL_RETURN_IF_ERROR(visit(a.get(), name));
  }
  return Status::Ok();
}

}  // namespace

Result<std::map<std::string, std::string>> ExtractMembers(const std::string& archive_path,
                                                          const std::set<std::string>& wanted,
                                                          const std::string& dest_dir,
                                                          const ArchiveLimits& limits) {
  DL_RETURN_IF_ERROR(fs::MakeDirs(dest_dir));
  std::map<std::string, std::string> out;
  uint64_t total = 0;
  std::vector<char> buf(1 << 16);
  DL_RETURN_IF_ERROR(ForEachWantedMember(
      archive_path, wanted, [&](struct archive* a, const std::string& name) -> Status {
        std::string path = fs::Join(dest_dir, "member-" + std::to_string(out.size()));
        DL_RETURN_IF_ERROR(CopyMember(a, name, path, &buf, [&](uint64_t n) {
          total += n;
          if (total <= limits.max_total_bytes) return Status::Ok();
          return InvalidArgument("the members expand beyond " +
                                 std::to_string(limits.max_total_bytes) + " bytes");
        }));
        out.emplace(name, path);
        return Status::Ok();
      }));
  return out;
}

Result<std::map<std::string, MemberHash>> HashMembers(const std::string& archive_path,
                                                      const std::set<std::string>& wanted) {
  std::map<std::string, MemberHash> out;
  std::vector<char> buf(1 << 16);
  DL_RETURN_IF_ERROR(ForEachWantedMember(
      archive_path, wanted, [&](struct archive* a, const std::string& name) -> Status {
        Xxh3Hasher hasher;
        MemberHash h;
        for (;;) {
          la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
          if (n == 0) break;
          if (n < 0) {
            return InvalidArgument("member " + name + " of " + archive_path +
                                   " cannot be read: " + archive_error_string(a));
          }
          hasher.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
          h.bytes += n;
        }
        h.hash = hasher.HexDigest();
        out.emplace(name, std::move(h));
        return Status::Ok();
      }));
  return out;
}

namespace {

Status CheckRanges(const std::vector<ByteRange>& ranges) {
  int64_t end = 0;
  for (const ByteRange& r : ranges) {
    if (r.offset < end || r.length < 0)
      return InvalidArgument("byte ranges must be ascending and not overlap");
    end = r.offset + r.length;
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ReadFileRanges(const std::string& path,
                                                const std::vector<ByteRange>& ranges) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open the stored original " + path);
  std::vector<std::string> out;
  Status st;
  for (const ByteRange& r : ranges) {
    std::string bytes(static_cast<size_t>(r.length), '\0');
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::pread(fd, bytes.data() + done, bytes.size() - done,
                          static_cast<off_t>(r.offset + static_cast<int64_t>(done)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        st = ErrnoError(errno, "cannot read " + path);
        break;
      }
      if (n == 0) {
        st = InvalidArgument(fmt::format("{} ends before byte {} (a frame at {}, {} bytes)", path,
                                         r.offset + r.length, r.offset, r.length));
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (!st.ok()) break;
    out.push_back(std::move(bytes));
  }
  ::close(fd);
  if (!st.ok()) return st;
  return out;
}

}  // namespace

Result<std::vector<std::string>> ReadStoredRanges(const std::string& file_path,
                                                  const std::string& archive_member,
                                                  const std::vector<ByteRange>& ranges) {
  DL_RETURN_IF_ERROR(CheckRanges(ranges));
  if (archive_member.empty()) return ReadFileRanges(file_path, ranges);
  DL_ASSIGN_OR_RETURN(ArchiveReader a, OpenArchive(file_path));
  struct archive_entry* entry = nullptr;
  for (;;) {
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) return NotFound("member " + archive_member + " is not in " + file_path);
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return InvalidArgument(std::string("damaged archive ") + file_path + ": " +
                             archive_error_string(a.get()));
    }
    if (archive_entry_filetype(entry) == AE_IFREG &&
        MemberName(a.get(), entry, file_path) == archive_member)
      break;
  }
  // Stream the member, copying the parts of each block that fall into a range.
  std::vector<std::string> out(ranges.size());
  std::vector<char> buf(1 << 16);
  int64_t position = 0;
  size_t r = 0;
  while (r < ranges.size()) {
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n < 0) {
      return InvalidArgument("member " + archive_member + " of " + file_path +
                             " cannot be read: " + archive_error_string(a.get()));
    }
    if (n == 0) {
      return InvalidArgument(fmt::format("member {} of {} ends at byte {}, before byte {}",
                                         archive_member, file_path, position,
                                         ranges[r].offset + ranges[r].length));
    }
    const int64_t block_end = position + n;
    for (size_t k = r; k < ranges.size() && ranges[k].offset < block_end; ++k) {
      int64_t from = std::max(ranges[k].offset, position);
      int64_t to = std::min(ranges[k].offset + ranges[k].length, block_end);
      if (from < to) out[k].append(buf.data() + (from - position), static_cast<size_t>(to - from));
    }
    position = block_end;
    while (r < ranges.size() && ranges[r].offset + ranges[r].length <= position) ++r;
  }
  return out;
}

}  // namespace dicomlake::scan
