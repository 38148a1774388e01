// `dicomlake listen` (issue 16): a C-STORE receiver on loopback fed by DCMTK's dcmsend and
// echoscu. The bronze rows of instances received over the network equal those of the same files
// ingested from disk (the data set byte for byte: the same datasetHash; the transfer syntax as
// sent), whatever way an instance arrives it is stored once, callers not allowed are refused,
// and SIGTERM stops it cleanly with everything received ingested.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "support/lake_fixture.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

using testing::LakeFixture;

const std::string kData = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";
// Explicit VR little endian, deflated, RLE, JPEG baseline, JPEG-LS, JPEG 2000 (lossless and
// lossy): each sent and stored in its own transfer syntax. (DCMTK's dcmsend sends implicit VR
// and big endian files in explicit VR little endian whatever the receiver takes: those are sent
// with storescu in TheSendersFirstTransferSyntaxIsKept.)
const char* const kFiles[] = {"CT_small.dcm",
                              "MR_small.dcm",
                              "image_dfl.dcm",
                              "MR_small_RLE.dcm",
                              "SC_jpeg_no_color_transform.dcm",
                              "MR_small_jpeg_ls_lossless.dcm",
                              "MR_small_jp2klossless.dcm",
                              "JPEG2000.dcm"};

// A `dicomlake listen` process on a free loopback port.
class Listener {
 public:
  Listener(const std::string& lake, const std::string& dir, const std::string& extra = "") {
    port_file_ = dir + "/port";
    log_ = dir + "/listen.log";
    std::remove(port_file_.c_str());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string cmd = std::string(DICOMLAKE_BIN) + " listen " + lake +
                        " --aet LAKE --port 0 --port-file " + port_file_ + " --namespace pacs1 " +
                        (extra.empty() ? "--quiet-seconds 0.5" : extra) + " > " + log_ + " 2>&1";
      ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !fs::Exists(port_file_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto text = fs::ReadFile(port_file_);
    if (text.ok()) {
      port_ = std::stoi(*text);
      const size_t eol = text->find('\n');
      if (eol != std::string::npos && eol + 1 < text->size())
        http_port_ = std::stoi(text->substr(eol + 1));
    }
  }
  ~Listener() {
    if (pid_ > 0) Stop();
  }
  int port() const { return port_; }
  int http_port() const { return http_port_; }
  // SIGKILL: the receiver dies where it stands.
  void Kill() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // SIGTERM; the exit status.
  int Stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string Log() const {
    auto text = fs::ReadFile(log_);
    return text.ok() ? *text : "";
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0, http_port_ = 0;
  std::string port_file_, log_;
};

std::string Files() {
  std::string out;
  for (const char* f : kFiles) out += " " + kData + f;
  return out;
}

// Initialises `lake` and ingests `files` (paths, each after a space) from its drop zone
// (namespace pacs1): the reference a network copy is compared with.
void IngestFromDisk(LakeFixture& lake, const std::string& files) {
  std::string out;
  ASSERT_EQ(lake.Cli("-q init " + lake.lake_.root()), 0);
  const std::string drop = lake.lake_.FilesPath("bronze") + "/Ingest/Imaging/DICOM/pacs1";
  ASSERT_EQ(testing::RunCommand("mkdir -p " + drop + " && i=0; for f in" + files + "; do cp $f " +
                                    drop + "/$i.dcm; i=$((i+1)); done",
                                &out),
            0)
      << out;
  ASSERT_EQ(lake.Cli("-q ingest " + lake.lake_.root()), 0);
}

// Waits until the log says `text` (a batch was ingested, ...).
bool WaitFor(const Listener& l, const std::string& text, int seconds = 30) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (l.Log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

class ListenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::Exists(kData + "CT_small.dcm")) GTEST_SKIP() << "python3-pydicom is not installed";
    for (const char* f : kFiles) ASSERT_TRUE(fs::Exists(kData + f)) << f;
  }
  testing::TestDir dir_;
};

TEST_F(ListenTest, InstancesReceivedEqualTheSameFilesFromDisk) {
  std::string out;
  // The reference: the files ingested from disk.
  LakeFixture disk(dir_.Sub("disk"));
  IngestFromDisk(disk, Files());

  LakeFixture net(dir_.Sub("net"));
  ASSERT_EQ(net.Cli("-q init " + net.lake_.root()), 0);
  Listener listener(net.lake_.root(), dir_.path());
  ASSERT_GT(listener.port(), 0) << listener.Log();
  const std::string port = std::to_string(listener.port());
  ASSERT_EQ(testing::RunCommand("echoscu -aec LAKE 127.0.0.1 " + port, &out, true), 0) << out;
  ASSERT_EQ(
      testing::RunCommand("dcmsend -aet SENDER -aec LAKE 127.0.0.1 " + port + Files(), &out, true),
      0)
      << out;
  ASSERT_TRUE(WaitFor(listener, "batch: ")) << listener.Log();
  // What a sender sends is its own encoding of the data set (DCMTK's dcmsend writes it without
  // group lengths, for one), so the rows equal the disk's in everything read from the data set
  // and in the transfer syntax, not in the data set's bytes.
  const std::string key =
      "SELECT sopInstanceUid, transferSyntaxUid, studyInstanceUid, seriesInstanceUid, modality, "
      "patientId, patientName, studyDate, instanceNumber, sopClassUid, len(frameIndex) FROM "
      "bronze.ImagingDicom ORDER BY ALL";
  const auto expected = disk.Rows(key);
  ASSERT_EQ(expected.size(), std::size(kFiles));
  EXPECT_EQ(net.Rows(key), expected);
  // The receiver wrote its own file meta group before the data set as received.
  EXPECT_EQ(net.Count("SELECT count(*) FROM bronze.ImagingDicom WHERE contentHash = datasetHash"),
            0);
  EXPECT_EQ(net.Count("SELECT count(*) FROM bronze.ImagingDicom WHERE sourceSystem = 'pacs1' AND "
                      "sourceFilePath LIKE '%/pacs1/SENDER/%'"),
            static_cast<int64_t>(std::size(kFiles)));

  // Sent again: the same instances, nothing added; the files as received, copied from the
  // lake's Process copies, given another file meta group (tests/tools/rewrite_meta.py) and
  // dropped as files: nothing added either (the same data sets).
  ASSERT_EQ(
      testing::RunCommand("dcmsend -aet SENDER -aec LAKE 127.0.0.1 " + port + Files(), &out, true),
      0)
      << out;
  ASSERT_TRUE(WaitFor(
      listener, std::to_string(std::size(kFiles)) + " received instance(s) ingested: 0 added"))
      << listener.Log();
  EXPECT_EQ(listener.Stop(), 0) << listener.Log();
  const std::string net_drop = net.lake_.FilesPath("bronze") + "/Ingest/Imaging/DICOM/pacs1/disk";
  ASSERT_EQ(testing::RunCommand("mkdir -p " + net_drop + " && cd " + net_drop +
                                    " && /usr/bin/python3 -c 'import sys, zipfile; "
                                    "[zipfile.ZipFile(z).extractall() for z "
                                    "in sys.argv[1:]]' $(find " +
                                    net.lake_.FilesPath("bronze") +
                                    "/Process/Imaging -name '*.zip') && /usr/bin/python3 " +
                                    testing::SourceDir() + "/tests/tools/rewrite_meta.py *.dcm",
                                &out, true),
            0)
      << out;
  ASSERT_EQ(net.Cli("ingest " + net.lake_.root(), &out), 0) << out;
  EXPECT_NE(out.find(std::to_string(std::size(kFiles)) + " duplicates skipped"), std::string::npos)
      << out;
  EXPECT_EQ(net.Rows(key), expected);
  // Every association is a row.
  EXPECT_EQ(net.Count("SELECT count(*) FROM admin.BusinessEvents WHERE activityName = "
                      "'imaging_dicom_receive'"),
            3);
  EXPECT_NE(listener.Log().find("stopped: 3 association(s)"), std::string::npos) << listener.Log();
}

TEST_F(ListenTest, CallersNotAllowedAreRefusedAndStopKeepsWhatWasReceived) {
  LakeFixture net(dir_.Sub("net"));
  ASSERT_EQ(net.Cli("-q init " + net.lake_.root()), 0);
  // A long quiet time: only the stop ingests.
  Listener listener(net.lake_.root(), dir_.path(),
                    "--allow SENDER@127.0.0.1 --quiet-seconds 600 --max-wait-seconds 600");
  ASSERT_GT(listener.port(), 0) << listener.Log();
  const std::string port = std::to_string(listener.port());
  std::string out;
  EXPECT_NE(testing::RunCommand("echoscu -aet STRANGER -aec LAKE 127.0.0.1 " + port, &out, true),
            0);
  ASSERT_EQ(testing::RunCommand(
                "dcmsend -aet SENDER -aec LAKE 127.0.0.1 " + port + " " + kData + "CT_small.dcm",
                &out, true),
            0)
      << out;
  // Stored durably before the sender heard so: in the drop zone now, ingested at the stop.
  EXPECT_EQ(net.Count("SELECT count(*) FROM glob('" + net.lake_.FilesPath("bronze") +
                      "/Ingest/Imaging/DICOM/pacs1/SENDER/*/*.dcm')"),
            1);
  EXPECT_EQ(listener.Stop(), 0) << listener.Log();
  EXPECT_EQ(net.Count("SELECT count(*) FROM bronze.ImagingDicom"), 1);
  EXPECT_EQ(net.Count("SELECT count(*) FROM admin.BusinessEvents WHERE activityName = "
                      "'imaging_dicom_receive' AND message LIKE '%STRANGER%refused%'"),
            1)
      << listener.Log();
}

// A presentation context proposing several transfer syntaxes gets the sender's first: DCMTK's
// storescu proposing big endian first (-xb) or implicit VR only (-xi) has its files stored in
// them, as the same files ingested from disk are.
TEST_F(ListenTest, TheSendersFirstTransferSyntaxIsKept) {
  LakeFixture net(dir_.Sub("net"));
  ASSERT_EQ(net.Cli("-q init " + net.lake_.root()), 0);
  Listener listener(net.lake_.root(), dir_.path());
  ASSERT_GT(listener.port(), 0) << listener.Log();
  const std::string port = std::to_string(listener.port());
  std::string out;
  ASSERT_EQ(
      testing::RunCommand("storescu -xb -aet SENDER -aec LAKE 127.0.0.1 " + port + " " + kData +
                              "MR_small_bigendian.dcm && storescu -xi -aet SENDER "
                              "-aec LAKE 127.0.0.1 " +
                              port + " " + kData + "MR_small_implicit.dcm",
                          &out, true),
      0)
      << out;
  ASSERT_TRUE(WaitFor(listener, "batch: ")) << listener.Log();
  EXPECT_EQ(listener.Stop(), 0) << listener.Log();
  EXPECT_EQ(net.Rows("SELECT transferSyntaxUid FROM bronze.ImagingDicom ORDER BY ALL"),
            (std::vector<std::string>{"1.2.840.10008.1.2|", "1.2.840.10008.1.2.2|"}));
}

// A second, independent network stack: npm dcmjs-dimse (tests/network/dcmjs_send.js) sends the
// files (a deflated one left out: dcmjs-dimse 0.3.3 sends deflated data sets that do not inflate)
// and implicit VR and big endian ones; what bronze holds equals the disk ingest of the same files
// in everything read from the data sets (it transcodes explicit VR files to the implicit VR it
// proposes first).
TEST_F(ListenTest, ASecondNetworkStackDcmjsDimseIsReceived) {
  const std::string modules = testing::SourceDir() + "/.deps/node/node_modules";
  if (!fs::Exists(modules + "/dcmjs-dimse")) GTEST_SKIP() << "dcmjs-dimse is not installed";
  std::string files;
  for (const char* f : kFiles) {
    if (std::string(f) != "image_dfl.dcm") files += " " + kData + f;
  }
  files += " " + kData + "MR_small_implicit.dcm " + kData + "MR_small_bigendian.dcm";
  std::string out;
  LakeFixture disk(dir_.Sub("disk"));
  ASSERT_EQ(disk.Cli("-q init " + disk.lake_.root()), 0);
  const std::string drop = disk.lake_.FilesPath("bronze") + "/Ingest/Imaging/DICOM/pacs1";
  ASSERT_EQ(testing::RunCommand("mkdir -p " + drop + " && i=0; for f in" + files + "; do cp $f " +
                                    drop + "/$i.dcm; i=$((i+1)); done",
                                &out),
            0);
  ASSERT_EQ(disk.Cli("-q ingest " + disk.lake_.root()), 0);

  LakeFixture net(dir_.Sub("net"));
  ASSERT_EQ(net.Cli("-q init " + net.lake_.root()), 0);
  Listener listener(net.lake_.root(), dir_.path());
  ASSERT_GT(listener.port(), 0) << listener.Log();
  ASSERT_EQ(testing::RunCommand("NODE_PATH=" + modules + " node " + testing::SourceDir() +
                                    "/tests/network/dcmjs_send.js 127.0.0.1 " +
                                    std::to_string(listener.port()) + " LAKE JSSEND" + files +
                                    " 2>&1 | grep -v 'Unknown name\\|Invalid vr' | tail -5",
                                &out),
            0);
  EXPECT_NE(out.find("sent 9 file(s)"), std::string::npos) << out;
  ASSERT_TRUE(WaitFor(listener, "batch: ")) << listener.Log();
  EXPECT_EQ(listener.Stop(), 0) << listener.Log();
  const std::string key =
      "SELECT DISTINCT sopInstanceUid, studyInstanceUid, seriesInstanceUid, modality, patientId, "
      "patientName, studyDate, instanceNumber, sopClassUid FROM bronze.ImagingDicom ORDER BY ALL";
  EXPECT_EQ(net.Rows(key), disk.Rows(key));
  EXPECT_EQ(net.Count("SELECT count(*) FROM admin.BusinessEvents WHERE severity = 'Error' AND "
                      "message LIKE 'not readable%'"),
            0);
}

// kill -9 of `listen` in the middle of a transfer: the sender's association breaks; it sends
// everything again to a new `listen`; every instance is in bronze exactly once, and nothing
// half-received is ingested.
TEST_F(ListenTest, KilledInTheMiddleOfATransferTheRetryStoresEveryInstanceOnce) {
  std::string out;
  LakeFixture src(dir_.Sub("src"));
  ASSERT_EQ(src.Cli("-q init " + src.lake_.root()), 0);
  ASSERT_EQ(src.Cli("-q sample " + src.lake_.root() + " --seed 5 --scale 0.05"), 0);
  const std::string files = dir_.Sub("files");
  ASSERT_EQ(testing::RunCommand(
                "mkdir -p " + files + " && i=0; for f in $(find " + src.lake_.FilesPath("bronze") +
                    "/Ingest -type f -name '*.dcm' | sort); do dcmftest $f >/dev/null && cp $f " +
                    files + "/$i.dcm; i=$((i+1)); done; ls " + files + " | wc -l",
                &out),
            0);
  const int sent = std::stoi(out);
  ASSERT_GT(sent, 100);
  std::string uids;
  ASSERT_EQ(testing::RunCommand("for f in " + files + "/*.dcm; do dcmdump +P SOPInstanceUID " +
                                    "-s $f; done | sort -u | wc -l",
                                &uids),
            0);

  LakeFixture net(dir_.Sub("net"));
  ASSERT_EQ(net.Cli("-q init " + net.lake_.root()), 0);
  const std::string spool = net.lake_.FilesPath("bronze") + "/Ingest/Imaging/DICOM/pacs1";
  {
    Listener first(net.lake_.root(), dir_.path(), "--quiet-seconds 600 --max-wait-seconds 600");
    ASSERT_GT(first.port(), 0) << first.Log();
    // The sender, slowed to a crawl per file (a 1-byte-per-PDU sender would be slower still).
    const std::string send = "dcmsend -aet SENDER -aec LAKE 127.0.0.1 " +
                             std::to_string(first.port()) + " " + files + "/*.dcm";
    FILE* sender = ::popen((send + " > " + dir_.Sub("send1.log") + " 2>&1").c_str(), "r");
    ASSERT_NE(sender, nullptr);
    // Kill once some instances are stored and before all are.
    for (int i = 0; i < 400; ++i) {
      std::string n;
      testing::RunCommand("find " + spool + " -name '*.dcm' 2>/dev/null | wc -l", &n);
      if (std::stoi(n) >= 5) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    first.Kill();
    ::pclose(sender);
  }
  std::string stored;
  testing::RunCommand("find " + spool + " -name '*.dcm' | wc -l", &stored);
  EXPECT_GT(std::stoi(stored), 0);
  EXPECT_LT(std::stoi(stored), sent) << "the kill came after the whole transfer";

  // The sender tries again, everything, to a new receiver.
  Listener second(net.lake_.root(), dir_.path(), "--quiet-seconds 0.5");
  ASSERT_GT(second.port(), 0) << second.Log();
  ASSERT_EQ(testing::RunCommand("dcmsend -aet SENDER -aec LAKE 127.0.0.1 " +
                                    std::to_string(second.port()) + " " + files + "/*.dcm",
                                &out, true),
            0)
      << out;
  ASSERT_TRUE(WaitFor(second, "batch: ")) << second.Log();
  EXPECT_EQ(second.Stop(), 0) << second.Log();
  EXPECT_EQ(net.Count("SELECT count(*) FROM bronze.ImagingDicom"), std::stoi(uids));
  EXPECT_EQ(net.Count("SELECT count(DISTINCT sopInstanceUid) FROM bronze.ImagingDicom"),
            std::stoi(uids));
  EXPECT_EQ(net.Count("SELECT count(*) FROM bronze.ImagingDicom WHERE sourceFilePath LIKE "
                      "'%.part%'"),
            0);
}

// STOW-RS with curl: the parts stored byte for byte (the rows equal the disk's, whole-file hash
// included), one part that is not DICOM named in the Failed SOP Sequence (202), the same
// instances sent again harmless (200, nothing added), each request a BusinessEvents row.
TEST_F(ListenTest, StowRsFromCurlEqualsTheSameFilesFromDisk) {
  std::string out;
  LakeFixture disk(dir_.Sub("disk"));
  IngestFromDisk(disk, Files());

  LakeFixture net(dir_.Sub("net"));
  ASSERT_EQ(net.Cli("-q init " + net.lake_.root()), 0);
  Listener listener(net.lake_.root(), dir_.path(), "--http 0 --quiet-seconds 0.5");
  ASSERT_GT(listener.http_port(), 0) << listener.Log();
  const std::string body = dir_.Sub("body"), bad_body = dir_.Sub("bad_body");
  const std::string parts =
      "for f in" + Files() +
      "; do printf -- '--B\\r\\nContent-Type: application/dicom\\r\\n\\r\\n'; "
      "cat $f; printf '\\r\\n'; done";
  ASSERT_EQ(testing::RunCommand("{ " + parts + "; printf -- '--B--\\r\\n'; } > " + body + " && { " +
                                    parts +
                                    "; printf -- '--B\\r\\nContent-Type: application/dicom\\r\\n"
                                    "\\r\\nnot DICOM\\r\\n--B--\\r\\n'; } > " +
                                    bad_body,
                                &out, true),
            0)
      << out;
  auto post = [&](const std::string& file, std::string* response) {
    const std::string resp = dir_.Sub("response.json");
    std::string code;
    testing::RunCommand("curl -s -o " + resp +
                            " -w '%{http_code}' -H 'Content-Type: "
                            "multipart/related; type=\"application/dicom\"; boundary=B' "
                            "--data-binary @" +
                            file + " http://127.0.0.1:" + std::to_string(listener.http_port()) +
                            "/dicom-web/studies",
                        &code);
    auto text = fs::ReadFile(resp);
    *response = text.ok() ? *text : "";
    return code;
  };
  std::string response;
  ASSERT_EQ(post(bad_body, &response), "202") << response;
  auto j = nlohmann::json::parse(response);
  EXPECT_EQ(j["00081199"]["Value"].size(), std::size(kFiles));
  ASSERT_EQ(j["00081198"]["Value"].size(), 1u);
  EXPECT_EQ(j["00081198"]["Value"][0]["00081197"]["Value"][0], 0xC000);
  EXPECT_NE(j["00081198"]["Value"][0]["00091001"]["Value"][0].get<std::string>().find(
                "not a readable DICOM file"),
            std::string::npos)
      << response;
  ASSERT_TRUE(WaitFor(listener, "batch: ")) << listener.Log();
  const std::string key =
      "SELECT sopInstanceUid, transferSyntaxUid, contentHash, datasetHash, studyInstanceUid, "
      "modality, patientName, instanceNumber, len(frameIndex) FROM bronze.ImagingDicom ORDER BY "
      "ALL";
  const auto expected = disk.Rows(key);
  ASSERT_EQ(expected.size(), std::size(kFiles));
  EXPECT_EQ(net.Rows(key), expected);
  EXPECT_EQ(net.Count("SELECT count(*) FROM bronze.ImagingDicom WHERE sourceFilePath LIKE "
                      "'%/pacs1/STOW-RS/%'"),
            static_cast<int64_t>(std::size(kFiles)));

  ASSERT_EQ(post(body, &response), "200") << response;
  ASSERT_TRUE(WaitFor(
      listener, std::to_string(std::size(kFiles)) + " received instance(s) ingested: 0 added"))
      << listener.Log();
  EXPECT_EQ(listener.Stop(), 0) << listener.Log();
  EXPECT_EQ(net.Rows(key), expected);
  EXPECT_EQ(net.Count("SELECT count(*) FROM admin.BusinessEvents WHERE activityName = "
                      "'imaging_dicom_receive' AND eventType = 'stow-rs request'"),
            2);
}

}  // namespace
}  // namespace dicomlake
