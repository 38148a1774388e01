// The OHIF viewer under /viewer/: its prebuilt dist/ (npm @ohif/app, installed by scripts/setup
// into .deps/web/ohif) served as files, with three changes made as they are served, because the
// build expects to live at the root of a site: index.html's paths and PUBLIC_URL point into
// /viewer/, the webpack public path of the scripts too, and app-config.js is this server's (one
// DICOMweb data source, /dicom-web on the same origin; docs/serve.md).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::serve {

struct StaticFile {
  std::string body;
  std::string content_type;
  std::string etag;  // from the file's size and time
};

// The file at `segments` (the path below /viewer/, already checked for '.' and '..') of the
// viewer in `viewer_dir`. A path that names no file is the viewer's own route: index.html.
// kNotFound, saying how to install it, when there is no viewer.
// Without `fall_back_to_index`, a path that names no file is kNotFound.
Result<StaticFile> ViewerFile(const std::string& viewer_dir,
                              const std::vector<std::string>& segments,
                              bool fall_back_to_index = true);

// The viewer's configuration (app-config.js) for a server whose DICOMweb root is /dicom-web on
// the page's origin and whose viewer is under /viewer.
std::string ViewerConfig();

// The folder OHIF is found in when no --viewer is given: $DICOMLAKE_VIEWER_DIR, then
// share/dicomlake/viewer beside the executable's prefix, then the source tree's .deps/web/ohif.
// "" when none has an index.html.
std::string DefaultViewerDir();

// The media type of a file by its extension.
std::string ContentTypeOf(const std::string& name);

}  // namespace dicomlake::serve
