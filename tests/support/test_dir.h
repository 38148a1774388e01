// Temporary folders for tests. A TestDir is removed when it goes out of scope; before that, every
// Delta table found under it is checked against the protocol by the independent checker
// (delta_conformance.h), so every commit the test suite writes is checked.
#pragma once

#include <string>

namespace dicomlake::testing {

class TestDir {
 public:
  // `check_delta`: check the Delta tables under the folder on destruction (off for tests that
  // corrupt tables on purpose).
  explicit TestDir(bool check_delta = true);
  ~TestDir();
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
  bool check_delta_;
};

// The repository root (for test data and tools).
std::string SourceDir();

// Runs a shell command; returns its exit status and fills `output` with stdout (and stderr when
// `merge_stderr`).
int RunCommand(const std::string& command, std::string* output, bool merge_stderr = false);

}  // namespace dicomlake::testing
