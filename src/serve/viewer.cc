#include "serve/viewer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstdlib>

#include "common/fs.h"

namespace dicomlake::serve {
namespace {

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  size_t at = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

bool IsFile(const std::string& path, struct stat* st) {
  return ::stat(path.c_str(), st) == 0 && S_ISREG(st->st_mode);
}

}  // namespace

std::string ContentTypeOf(const std::string& name) {
  const size_t dot = name.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : name.substr(dot + 1);
  if (ext == "js" || ext == "mjs") return "application/javascript";
  if (ext == "css") return "text/css";
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "wasm") return "application/wasm";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "ttf") return "font/ttf";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "xml") return "application/xml";
  return "application/octet-stream";
}

std::string ViewerConfig() {
  return R"js(// The OHIF configuration of `dicomlake serve` (docs/serve.md): one DICOMweb data source, the
// lake on this server.
window.config = {
  routerBasename: '/viewer',
  showStudyList: true,
  extensions: [],
  modes: [],
  customizationService: {},
  maxNumberOfWebWorkers: 3,
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: true,
  showLoadingIndicator: true,
  strictZSpacingForVolumeViewport: true,
  investigationalUseDialog: { option: 'never' },
  maxNumRequests: { interaction: 100, thumbnail: 5, prefetch: 10 },
  defaultDataSourceName: 'dicomlake',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'dicomlake',
      configuration: {
        friendlyName: 'dicomlake',
        name: 'dicomlake',
        wadoUriRoot: window.location.origin + '/dicom-web',
        qidoRoot: window.location.origin + '/dicom-web',
        wadoRoot: window.location.origin + '/dicom-web',
        qidoSupportsIncludeField: true,
        supportsReject: false,
        imageRendering: 'wadors',
        thumbnailRendering: 'wadors',
        enableStudyLazyLoad: true,
        supportsFuzzyMatching: true,
        supportsWildcard: true,
        staticWado: false,
        singlepart: 'bulkdata,video',
        bulkDataURI: { enabled: true },
        omitQuotationForMultipartRequest: true,
      },
    },
  ],
};
)js";
}

std::string DefaultViewerDir() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("DICOMLAKE_VIEWER_DIR")) candidates.emplace_back(env);
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    candidates.push_back(fs::Join(Parent(Parent(exe)), "share/dicomlake/viewer"));
  }
#ifdef DICOMLAKE_SOURCE_DIR
  candidates.push_back(fs::Join(DICOMLAKE_SOURCE_DIR, ".deps/web/ohif"));
#endif
  for (const std::string& dir : candidates) {
    struct stat st {};
    if (IsFile(fs::Join(dir, "index.html"), &st)) return dir;
  }
  return "";
}

Result<StaticFile> ViewerFile(const std::string& viewer_dir,
                              const std::vector<std::string>& segments, bool fall_back_to_index) {
  struct stat st {};
  if (viewer_dir.empty() || !IsFile(fs::Join(viewer_dir, "index.html"), &st)) {
    return NotFound(
        "the OHIF viewer is not installed: scripts/setup puts it in .deps/web/ohif; or give "
        "dicomlake serve --viewer DIR (the dist/ folder of npm @ohif/app)");
  }
  std::string relative;
  for (const std::string& s : segments) relative = relative.empty() ? s : relative + "/" + s;
  StaticFile out;
  if (relative == "app-config.js") {
    out.body = ViewerConfig();
    out.content_type = ContentTypeOf(relative);
    return out;
  }
  std::string path = fs::Join(viewer_dir, relative);
  if (relative.empty() || !IsFile(path, &st)) {
    if (!fall_back_to_index) return NotFound("the viewer has no file " + relative);
    // The viewer's own routes (/viewer/viewer?StudyInstanceUIDs=...) are its index page.
    relative = "index.html";
    path = fs::Join(viewer_dir, relative);
    if (!IsFile(path, &st)) return NotFound("the viewer has no index.html");
  }
  DL_ASSIGN_OR_RETURN(out.body, fs::ReadFile(path));
  out.content_type = ContentTypeOf(relative);
  out.etag = fmt::format("\"{:x}-{:x}-{:x}\"", st.st_size, st.st_mtim.tv_sec, st.st_ino);
  if (relative == "index.html") {
    out.body = ReplaceAll(out.body, "window.PUBLIC_URL=\"/\"", "window.PUBLIC_URL=\"/viewer/\"");
    out.body = ReplaceAll(out.body, "href=\"/", "href=\"/viewer/");
    out.body = ReplaceAll(out.body, "src=\"/", "src=\"/viewer/");
    out.etag.clear();
  } else if (out.content_type == "application/javascript") {
    // Webpack loads the other chunks from its public path, "/" in the published build.
    static const std::string kPublicPath = "__webpack_require__.p = \"/\";";
    if (out.body.find(kPublicPath) != std::string::npos) {
      out.body = ReplaceAll(out.body, kPublicPath, "__webpack_require__.p = \"/viewer/\";");
      out.etag.clear();
    }
  }
  return out;
}

}  // namespace dicomlake::serve
