// Where original files go in the Ingest pattern (ARCHITECTURE sections 1 and 2): a compressed
// copy under Files/Process/.../YYYY/MM/DD/ (Fabric-compatible one-entry `<name>.zip`, deflate),
// failures under Files/Failed/.../YYYY/MM/DD/. Copies appear under their final name whole
// (temporary file + rename). With `Durability::kNow` they are fsynced before the call returns;
// with `kLater` the caller makes a whole batch durable at once with SyncFileSystem (one flush
// instead of one per file), before the commit that references them.
#pragma once

#include <string>

#include "common/status.h"

namespace dicomlake::bronze {

// "YYYY/MM/DD" of a UTC time in microseconds.
std::string DatePath(int64_t micros);

// Writes `source` as the only entry `entry_name` of a new ZIP at `dest` (deflate at `level`
// 1..9, or stored when `level` is 0 or deflate would not make it smaller), through a temporary
// file renamed into place. Files up to 256 MiB are compressed in memory with libdeflate; larger
// ones stream through libarchive's zlib.
enum class Durability { kNow, kLater };

Status WriteSingleEntryZip(const std::string& source, const std::string& entry_name,
                           const std::string& dest, int level,
                           Durability durability = Durability::kNow);

// Copies `source` to `dest` durably (temporary file, fsync, rename).
Status CopyFileDurable(const std::string& source, const std::string& dest,
                       Durability durability = Durability::kNow);

// Flushes everything written to the file system holding `path` (syncfs(2)).
Status SyncFileSystem(const std::string& path);

// Moves `source` to `dest` (rename, or copy and delete across file systems), creating folders.
Status MoveFile(const std::string& source, const std::string& dest);

// `path` itself when nothing is there, else `path` with `.<tag>` inserted before the extension
// chain's last part (`a/b.dcm.zip` -> `a/b.dcm.<tag>.zip`), so an existing copy is never replaced.
std::string UniquePath(const std::string& path, const std::string& tag);

}  // namespace dicomlake::bronze
