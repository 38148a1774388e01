#include "bronze/file_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <libdeflate.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

#include "common/fs.h"
#include "common/time_util.h"
#include "common/uuid.h"

namespace dicomlake::bronze {
namespace {

std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

Status Publish(const std::string& tmp, const std::string& dest, Durability durability) {
  Status st = durability == Durability::kNow ? fs::SyncFile(tmp) : Status::Ok();
  if (st.ok()) st = fs::Rename(tmp, dest);
  if (!st.ok()) {
    (void)fs::RemoveFile(tmp);
    return st;
  }
  return durability == Durability::kNow ? fs::SyncDir(Parent(dest)) : Status::Ok();
}

// Files up to this size are compressed whole in memory with libdeflate (several times faster
// than zlib at the same ratio); larger ones stream through libarchive.
constexpr int64_t kInMemoryZipLimit = 256LL << 20;

void Put16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>((v >> 8) & 0xff));
}
void Put32(std::string* out, uint32_t v) {
  Put16(out, v & 0xffff);
  Put16(out, v >> 16);
}

// MS-DOS date and time (local time, 2-second resolution) as ZIP headers hold them; times before
// 1980 cannot be expressed and become 1980-01-01.
void DosDateTime(int64_t mtime_s, uint16_t* date, uint16_t* time) {
  std::time_t t = static_cast<std::time_t>(mtime_s);
  std::tm tm{};
  localtime_r(&t, &tm);
  if (tm.tm_year < 80) {
    *date = (1 << 5) | 1;
    *time = 0;
    return;
  }
  *date = static_cast<uint16_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
  *time = static_cast<uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
}

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// One compressor per thread and level: allocating one costs more than compressing a small file.
libdeflate_compressor* CompressorFor(int level) {
  thread_local std::unique_ptr<libdeflate_compressor, CompressorDeleter> compressor;
  thread_local int compressor_level = -1;
  if (compressor_level != level) {
    compressor.reset(libdeflate_alloc_compressor(level));
    compressor_level = compressor ? level : -1;
  }
  return compressor.get();
}

// Writes to `path` a ZIP (APPNOTE 6.3.x) holding `data` as its one entry `name`: deflated at
// `level` (1..9), or stored when `level` is 0 or deflate would not make it smaller. Sizes stay
// below 4 GiB (kInMemoryZipLimit), so no zip64 records are needed. An extended-timestamp extra
// field (0x5455) carries the UTC modification time next to the DOS local time. The entry's bytes
// are written as they are, between the local header and the central directory, never copied.
Status WriteZipInMemory(const std::string& data, const std::string& name, int level,
                        int64_t mtime_s, const std::string& path) {
  uint32_t crc = libdeflate_crc32(0, data.data(), data.size());
  std::string body;
  uint16_t method = 0;
  if (level > 0 && !data.empty()) {
    libdeflate_compressor* c = CompressorFor(level);
    if (c == nullptr) return IoError("cannot allocate a deflate compressor");
    body.resize(libdeflate_deflate_compress_bound(c, data.size()));
    size_t n = libdeflate_deflate_compress(c, data.data(), data.size(), body.data(), body.size());
    if (n > 0 && n < data.size()) {
      body.resize(n);
      method = 8;
    }
  }
  const std::string& payload = method == 8 ? body : data;
  uint16_t dos_date, dos_time;
  DosDateTime(mtime_s, &dos_date, &dos_time);
  std::string extra;
  Put16(&extra, 0x5455);
  Put16(&extra, 5);
  extra.push_back(1);  // flags: modification time present
  Put32(&extra, static_cast<uint32_t>(mtime_s));
  const uint16_t version_needed = method == 8 ? 20 : 10;
  const uint16_t flags = 0x0800;  // names are UTF-8

  // The fields the local header and the central directory header share, in their order.
  auto put_entry_fields = [&](std::string* out) {
    Put16(out, version_needed);
    Put16(out, flags);
    Put16(out, method);
    Put16(out, dos_time);
    Put16(out, dos_date);
    Put32(out, crc);
    Put32(out, static_cast<uint32_t>(payload.size()));
    Put32(out, static_cast<uint32_t>(data.size()));
    Put16(out, static_cast<uint32_t>(name.size()));
    Put16(out, static_cast<uint32_t>(extra.size()));
  };
  std::string header;
  Put32(&header, 0x04034b50);  // local file header
  put_entry_fields(&header);
  header += name;
  header += extra;
  const auto central_offset = static_cast<uint32_t>(header.size() + payload.size());
  std::string trailer;
  Put32(&trailer, 0x02014b50);     // central directory header
  Put16(&trailer, (3 << 8) | 63);  // made by: Unix, APPNOTE 6.3
  put_entry_fields(&trailer);
  Put16(&trailer, 0);                 // comment length
  Put16(&trailer, 0);                 // disk number
  Put16(&trailer, 0);                 // internal attributes
  Put32(&trailer, (0100644u) << 16);  // external attributes: regular file, rw-r--r--
  Put32(&trailer, 0);                 // offset of the local header
  trailer += name;
  trailer += extra;
  const auto central_size = static_cast<uint32_t>(trailer.size());
  Put32(&trailer, 0x06054b50);  // end of central directory
  Put16(&trailer, 0);
  Put16(&trailer, 0);
  Put16(&trailer, 1);
  Put16(&trailer, 1);
  Put32(&trailer, central_size);
  Put32(&trailer, central_offset);
  Put16(&trailer, 0);
  return fs::WriteFile(path, {header, payload, trailer});
}

// A libarchive failure as a Status: the errno it recorded when there is one (a full disk is
// kNoSpace), else its message.
Status ArchiveError(struct archive* a, const std::string& what) {
  const char* text = archive_error_string(a);
  std::string detail = text != nullptr ? text : "unknown libarchive error";
  int err = archive_errno(a);
  if (err > 0) return ErrnoError(err, what + " (" + detail + ")");
  return IoError(what + ": " + detail);
}

// Streams `source` through libarchive (zlib) for files too large to hold in memory.
Status WriteSingleEntryZipStreaming(const std::string& source, const fs::FileInfo& info,
                                    const std::string& entry_name, const std::string& tmp,
                                    int level) {
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  std::string options =
      level <= 0 ? "zip:compression=store"
                 : fmt::format("zip:compression=deflate,zip:compression-level={}", level);
  Status st;
  if (archive_write_set_options(a, options.c_str()) != ARCHIVE_OK ||
      archive_write_open_filename(a, tmp.c_str()) != ARCHIVE_OK) {
    st = ArchiveError(a, "cannot create " + tmp);
  }
  if (st.ok()) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, entry_name.c_str());
    archive_entry_set_size(entry, static_cast<la_int64_t>(info.size));
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_mtime(entry, info.mtime_ms / 1000, 0);
    if (archive_write_header(a, entry) != ARCHIVE_OK)
      st = ArchiveError(a, "cannot write the ZIP header of " + tmp);
    archive_entry_free(entry);
  }
  if (st.ok()) {
    std::FILE* in = std::fopen(source.c_str(), "rb");
    if (in == nullptr) {
      st = ErrnoError(errno, "cannot read " + source);
    } else {
      std::vector<char> buf(1 << 20);
      size_t n;
      while (st.ok() && (n = std::fread(buf.data(), 1, buf.size(), in)) > 0) {
        if (archive_write_data(a, buf.data(), n) != static_cast<la_ssize_t>(n)) {
          st = ArchiveError(a, "cannot write " + tmp);
        }
      }
      std::fclose(in);
    }
  }
  if (archive_write_close(a) != ARCHIVE_OK && st.ok()) st = ArchiveError(a, "cannot finish " + tmp);
  archive_write_free(a);
  return st;
}

}  // namespace

std::string DatePath(int64_t micros) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(micros / (86400LL * 1000000), &y, &m, &d);
  return fmt::format("{:04}/{:02}/{:02}", y, m, d);
}

Status WriteSingleEntryZip(const std::string& source, const std::string& entry_name,
                           const std::string& dest, int level, Durability durability) {
  DL_RETURN_IF_ERROR(fs::MakeDirs(Parent(dest)));
  DL_ASSIGN_OR_RETURN(fs::FileInfo info, fs::Stat(source));
  std::string tmp = Parent(dest) + "/." + NewUuid() + ".zip.tmp";
  Status st;
  if (info.size <= kInMemoryZipLimit) {
    DL_ASSIGN_OR_RETURN(std::string data, fs::ReadFile(source));
    st = WriteZipInMemory(data, entry_name, level, info.mtime_ms / 1000, tmp);
  } else {
    st = WriteSingleEntryZipStreaming(source, info, entry_name, tmp, level);
  }
  if (!st.ok()) {
    (void)fs::RemoveFile(tmp);
    return st;
  }
  return Publish(tmp, dest, durability);
}

Status CopyFileDurable(const std::string& source, const std::string& dest, Durability durability) {
  DL_RETURN_IF_ERROR(fs::MakeDirs(Parent(dest)));
  std::string tmp = Parent(dest) + "/." + NewUuid() + ".copy.tmp";
  std::FILE* in = std::fopen(source.c_str(), "rb");
  if (in == nullptr) return ErrnoError(errno, "cannot read " + source);
  auto out = CurrentEnv()->NewWritableFile(tmp, /*exclusive=*/true);
  if (!out.ok()) {
    std::fclose(in);
    return out.status();
  }
  std::vector<char> buf(1 << 20);
  size_t n;
  Status st;
  while (st.ok() && (n = std::fread(buf.data(), 1, buf.size(), in)) > 0)
    st = (*out)->Append(std::string_view(buf.data(), n));
  if (st.ok() && std::ferror(in)) st = ErrnoError(errno, "cannot read " + source);
  std::fclose(in);
  Status closed = (*out)->Close();
  if (st.ok()) st = closed;
  if (!st.ok()) {
    (void)fs::RemoveFile(tmp);
    return st;
  }
  return Publish(tmp, dest, durability);
}

Status SyncFileSystem(const std::string& path) { return CurrentEnv()->SyncFileSystem(path); }

Status MoveFile(const std::string& source, const std::string& dest) {
  DL_RETURN_IF_ERROR(fs::MakeDirs(Parent(dest)));
  Status renamed = fs::Rename(source, dest);
  if (renamed.ok()) return fs::SyncDir(Parent(dest));
  if (renamed.code() != StatusCode::kUnsupported) return renamed;  // not across file systems
  DL_RETURN_IF_ERROR(CopyFileDurable(source, dest));
  return fs::RemoveFile(source);
}

std::string UniquePath(const std::string& path, const std::string& tag) {
  if (!fs::Exists(path)) return path;
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return path + "." + tag;
  return path.substr(0, dot) + "." + tag + path.substr(dot);
}

}  // namespace dicomlake::bronze
