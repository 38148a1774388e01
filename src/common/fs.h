// File-system helpers with Status errors that name the path, over the storage seam
// (common/env.h: CurrentEnv()). All functions are thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.h"
#include "common/status.h"

namespace dicomlake::fs {

using FileInfo = dicomlake::FileInfo;

bool Exists(const std::string& path);
bool IsDirectory(const std::string& path);
Result<FileInfo> Stat(const std::string& path);

// Creates `path` and its missing parents (like mkdir -p). OK when it exists as a directory.
Status MakeDirs(const std::string& path);

// Lists the entries of a directory (not "." and ".."), sorted by name.
Result<std::vector<FileInfo>> ListDir(const std::string& path);

Result<std::string> ReadFile(const std::string& path);

// Writes `parts`, one after the other, to `path` (created or truncated); not durable until
// SyncFile.
Status WriteFile(const std::string& path, std::initializer_list<std::string_view> parts);

// Writes `data` to `path` through a temporary file in the same folder, fsync and rename(2):
// readers see the old or the new content, never a torn one.
Status WriteFileAtomic(const std::string& path, const std::string& data);

// Creates `path` with `data` only if no file of that name exists: the data goes to a temporary
// file that is fsynced and then link(2)ed to `path` (atomic and exclusive on POSIX file systems).
// Returns kAlreadyExists when `path` exists; the existing file is never touched.
Status CreateFileExclusive(const std::string& path, const std::string& data);

// rename(2): replaces `to` atomically.
Status Rename(const std::string& from, const std::string& to);

// Removes a file; OK when it does not exist.
Status RemoveFile(const std::string& path);

// Removes a directory tree; OK when it does not exist.
Status RemoveAll(const std::string& path);

// fsyncs a directory so that entries created in it are durable.
Status SyncDir(const std::string& path);
// fsyncs a file by name.
Status SyncFile(const std::string& path);

// "<a>/<b>" with exactly one separator.
std::string Join(const std::string& a, const std::string& b);

// The absolute, lexically normalised form of `path` (no symlink resolution).
std::string Absolute(const std::string& path);

}  // namespace dicomlake::fs
