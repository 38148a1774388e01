// `serve` (serve/dicomweb_server.h) against bad and heavy traffic on loopback: malformed request
// lines, headers and URLs, paths that try to leave the lake, bad query values and UIDs, bodies
// sent to a read-only server, mutated requests, clients that stall mid-request (more than the
// server serves at once), and a bounded flood of parallel valid requests. Every bad request must
// be answered 4xx, the flood all 200, no file outside the lake read; afterwards the server still
// answers, has as many file descriptors open as before, and stops within seconds. Run under ASan
// in CI's robustness pass; the seed is fixed (DICOMLAKE_FUZZ_SEED overrides it).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "serve/dicomweb_server.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

int OpenFds() {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Whether `answer` holds a whole response (by its Content-Length, or the last chunk).
bool Complete(const std::string& answer) {
  const size_t end = answer.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string head = answer.substr(0, end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t length = head.find("\r\ncontent-length: ");
  if (length != std::string::npos)
    return answer.size() >= end + 4 + std::strtoull(head.c_str() + length + 18, nullptr, 10);
  if (head.find("transfer-encoding: chunked") != std::string::npos)
    return answer.size() >= 5 && answer.compare(answer.size() - 5, 5, "0\r\n\r\n") == 0;
  return false;
}

// Sends `request` and reads the answer until the server closes or `seconds` pass.
std::string Exchange(int port, const std::string& request, int seconds = 10) {
  const int fd = Connect(port);
  if (fd < 0) return "";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  // No shutdown of our side: the server takes a half-closed socket for a client gone.
  std::string answer;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  char buffer[65536];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
    if (Complete(answer)) break;  // a kept-alive connection would stay open
  }
  close(fd);
  return answer;
}

int StatusOf(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return 0;
  return std::atoi(answer.substr(9, 3).c_str());
}

std::string Get(const std::string& target, const std::string& headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers +
         "\r\n";
}

class ServeFuzz : public ::testing::Test {
 protected:
  void SetUp() override {
    lake_ = std::make_unique<testing::LakeFixture>(dir_.path() + "/lake");
    std::string out;
    ASSERT_EQ(lake_->Cli("-q init " + dir_.path() + "/lake", &out), 0) << out;
    ASSERT_EQ(lake_->Cli("-q sample " + dir_.path() + "/lake --seed 5 --scale 0.01", &out), 0)
        << out;
    const int rc = lake_->Cli("-q run " + dir_.path() + "/lake", &out);
    ASSERT_TRUE(rc == 0 || rc == 3) << out;
    auto r = lake_->Sql(
        "SELECT studyInstanceUid, seriesInstanceUid, sopInstanceUid FROM bronze.ImagingDicom "
        "WHERE frameIndex IS NOT NULL ORDER BY sopInstanceUid LIMIT 1");
    ASSERT_EQ(r.rows.size(), 1u);
    instance_ = "/dicom-web/studies/" + r.rows[0][0].s + "/series/" + r.rows[0][1].s +
                "/instances/" + r.rows[0][2].s;
  }

  testing::TestDir dir_;
  std::unique_ptr<testing::LakeFixture> lake_;
  std::string instance_;
};

TEST_F(ServeFuzz, BadAndHeavyTrafficNeitherCrashesNorLeaks) {
  serve::ServeOptions options;
  options.port = 0;
  options.max_requests = 4;
  options.timeout_seconds = 1;
  serve::DicomWebServer server;
  ASSERT_TRUE(server.Start(lake_->lake(), options).ok());
  const int port = server.port();
  {  // A second server on the same port is refused, not let in to share it (SO_REUSEPORT).
    serve::ServeOptions same = options;
    same.port = port;
    serve::DicomWebServer second;
    const Status started = second.Start(lake_->lake(), same);
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.message().find("is the port taken?"), std::string::npos) << started.message();
  }
  const std::string first = Exchange(port, Get("/dicom-web/studies"));
  ASSERT_EQ(StatusOf(first), 200) << first.substr(0, 300);
  const int fds_before = OpenFds();

  // Bad requests, each answered 4xx with nothing of the file system beyond the lake.
  const std::vector<std::string> bad = {
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET /dicom-web/studies HTTP/9.9\r\n\r\n",
      Get("/" + std::string(20000, 'a')),
      Get("/dicom-web/studies", "X-Long: " + std::string(20000, 'b') + "\r\n"),
      Get("/dicom-web/studies?limit=-1"),
      Get("/dicom-web/studies?offset=x"),
      Get("/dicom-web/studies?fuzzymatching=maybe"),
      Get("/dicom-web/studies?NotAnAttribute=1"),
      Get("/dicom-web/studies?includefield=Nope"),
      Get("/dicom-web/studies/not-a-uid"),
      Get("/dicom-web/studies/1.2.3.4/series"),  // 200 [] is fine: checked below apart
      Get("/dicom-web/studies/1.2.3.4"),
      Get(instance_ + "/frames/0"),
      Get(instance_ + "/frames/abc"),
      Get(instance_ + "/frames/1,,2"),
      Get(instance_ + "/frames/99999"),
      Get(instance_ + "/bulk/999999999999/10"),
      Get(instance_ + "/bulk/1/x"),
      Get(instance_ + "/rendered?viewport=0,0"),
      Get(instance_ + "/rendered?window=40"),
      Get(instance_ + "/rendered?quality=1000"),
      Get(instance_ + "/frames/1", "Accept: text/html\r\n"),
      Get(instance_, "Accept: application/dicom+xml\r\n"),
      Get("/dicom-web/studies", "Accept: application/dicom+xml\r\n"),
      Get("/viewer/../../../../etc/passwd"),
      Get("/%2e%2e/%2e%2e/%2e%2e/etc/passwd"),
      Get("/viewer/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd"),
      Get("/viewer/..%2f..%2f..%2f..%2fetc%2fpasswd"),
      Get("/dashboard-assets/../../etc/passwd"),
      Get("/dashboard-assets/nope.js"),
      Get("/etc/passwd"),
      Get("/dicom-web/nothing"),
      "POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; "
      "type=\"application/dicom\"; boundary=b\r\nContent-Length: 30\r\nConnection: close\r\n\r\n"
      "--b\r\n\r\nnot dicom\r\n--b--\r\n",
      "POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n"
      "Connection: close\r\n\r\nxx",
      "DELETE /dicom-web/studies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "zz\r\n",
  };
  for (const std::string& request : bad) {
    const std::string answer = Exchange(port, request);
    const int status = StatusOf(answer);
    EXPECT_EQ(answer.find("root:x:0:0"), std::string::npos) << request.substr(0, 80);
    if (request.find("/dicom-web/studies/1.2.3.4/series ") != std::string::npos) {
      EXPECT_EQ(status, 200);  // a search without matches
      continue;
    }
    EXPECT_TRUE((status >= 400 && status < 500) || (status == 0 && answer.empty()))
        << status << " for " << request.substr(0, 120);
  }

  // Mutations of valid requests: answered, or closed; never a crash.
  const char* seed_env = std::getenv("DICOMLAKE_FUZZ_SEED");
  std::mt19937 random(seed_env != nullptr ? static_cast<unsigned>(std::atoi(seed_env)) : 17u);
  const std::vector<std::string> valid = {
      Get("/dicom-web/studies?PatientName=*a*&limit=3&includefield=all"),
      Get(instance_ + "/frames/1",
          "Accept: multipart/related; type=\"application/octet-stream\"; transfer-syntax=*\r\n"),
      Get(instance_ + "/metadata"), Get(instance_ + "/rendered")};
  for (int k = 0; k < 150; ++k) {
    std::string r = valid[random() % valid.size()];
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = random() % r.size();
      switch (random() % 3) {
        case 0:
          r[at] = static_cast<char>(random() % 256);
          break;
        case 1:
          r.erase(at, 1 + random() % 8);
          break;
        default:
          r.insert(at, std::string(1 + random() % 300, static_cast<char>(random() % 256)));
      }
      if (r.empty()) r = "x";
    }
    r += "\r\n\r\n";  // most mutations still end their header: answered at once
    const std::string answer = Exchange(port, r, 5);
    EXPECT_EQ(answer.find("root:x:0:0"), std::string::npos);
  }

  // Clients that stall mid-request, more than the server serves at once; then the server must
  // still answer once their time is up.
  std::vector<int> stalled;
  for (int k = 0; k < 3 * options.max_requests; ++k) {
    const int fd = Connect(port);
    if (fd < 0) continue;
    const std::string half = "GET /dicom-web/studies HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    send(fd, half.data(), half.size(), MSG_NOSIGNAL);
    stalled.push_back(fd);
  }
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(StatusOf(Exchange(port, Get("/dicom-web/studies"), 30)), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(20));
  for (int fd : stalled) close(fd);

  // A bounded flood of valid requests from 16 clients at once: every one answered 200.
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  const std::vector<std::string> flood = {
      Get("/dicom-web/studies?limit=10"), Get(instance_ + "/metadata"),
      Get(instance_ + "/frames/1",
          "Accept: multipart/related; type=application/octet-stream; transfer-syntax=*\r\n"),
      Get("/dicom-web/series?Modality=CT"), Get("/dicom-web/instances?limit=5")};
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      for (int k = 0; k < 25; ++k) {
        const int status = StatusOf(Exchange(port, flood[(c + k) % flood.size()], 30));
        (status == 200 ? ok : failed)++;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), 16 * 25);

  // Still answering, and every connection closed (give the pool a moment to let go).
  EXPECT_EQ(StatusOf(Exchange(port, Get("/dicom-web/studies"))), 200);
  int fds_after = OpenFds();
  for (int k = 0; k < 50 && fds_after > fds_before; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fds_after = OpenFds();
  }
  EXPECT_LE(fds_after, fds_before) << "file descriptors leaked";
  const auto stop = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop, std::chrono::seconds(10));
}

}  // namespace
}  // namespace dicomlake
