#include "support/test_dir.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "support/delta_conformance.h"

namespace dicomlake::testing {

TestDir::TestDir(bool check_delta) : check_delta_(check_delta) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/dicomlake-test-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    ADD_FAILURE() << "cannot create a temporary folder";
  }
  path_ = buf.data();
}

TestDir::~TestDir() {
  if (check_delta_) {
    for (const auto& problem : CheckAllTablesUnder(path_))
      ADD_FAILURE() << "Delta protocol: " << problem;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string SourceDir() {
  const char* env = std::getenv("DICOMLAKE_SOURCE_DIR");
  if (env && *env) return env;
  return DICOMLAKE_SOURCE_DIR;
}

int RunCommand(const std::string& command, std::string* output, bool merge_stderr) {
  std::string cmd = command + (merge_stderr ? " 2>&1" : "");
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buf;
  output->clear();
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) output->append(buf.data(), n);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace dicomlake::testing
