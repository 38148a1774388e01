// File-system access for the lakes of a de-identification (issue 14, scope 6): role-based access
// on one machine is a group per role and modes that give nobody else anything. A folder shared
// with a group gets mode 2750 (group-readable, setgid so that what is created in it later keeps
// the group), each file 0640 (0600 for a file that is the owner's alone, e.g. the key).
#pragma once

#include <string>

#include "common/status.h"

namespace dicomlake::pipeline {

// Gives `path` (a file, or a folder and everything under it; symbolic links are left alone)
// group `group` (by name; "" keeps each entry's group) and the modes above. kNotFound for an
// unknown group; kIoError naming the entry that could not be changed (e.g. the user is not a
// member of the group).
Status ShareWithGroup(const std::string& path, const std::string& group);

}  // namespace dicomlake::pipeline
