// Where original files go in the Ingest pattern (ARCHITECTURE sections 1 and 2): a compressed
// copy under Files/Process/.../YYYY/MM/DD/ (Fabric-compatible one-entry `<name>.zip`, deflate),
// failures under Files/Failed/.../YYYY/MM/DD/. Every write is fsynced before it returns, so
// an original may be deleted once the commit that references its copy is durable.
#pragma once

#include <string>

#include "common/status.h"

namespace dicomlake::bronze {

// "YYYY/MM/DD" of a UTC time in microseconds.
std::string DatePath(int64_t micros);

// Writes `source` as the only entry `entry_name` of a new ZIP at `dest` (deflate at `level`
// 0..9, or stored when `level` is 0), through a temporary file renamed into place.
Status WriteSingleEntryZip(const std::string& source, const std::string& entry_name,
                           const std::string& dest, int level);

// Copies `source` to `dest` durably (temporary file, fsync, rename).
Status CopyFileDurable(const std::string& source, const std::string& dest);

// Moves `source` to `dest` (rename, or copy and delete across file systems), creating folders.
Status MoveFile(const std::string& source, const std::string& dest);

// `path` itself when nothing is there, else `path` with `.<tag>` inserted before the extension
// chain's last part (`a/b.dcm.zip` -> `a/b.dcm.<tag>.zip`), so an existing copy is never replaced.
std::string UniquePath(const std::string& path, const std::string& tag);

}  // namespace dicomlake::bronze
