// The storage receiver (net/storage_receiver.h) against a bounded stream of malformed input on
// loopback: random bytes, association requests mutated and cut short, declared lengths of 4 GiB,
// valid associations followed by broken P-DATA (garbage commands, huge PDV lengths, a data set
// cut off), aborts, and senders that stall in the middle of a PDU, more of them than the
// receiver serves at once. Afterwards the receiver must still answer C-ECHO, have no association
// left open, stop promptly, and have left no temporary file. Run under ASan in CI's robustness
// pass; the seed is fixed (DICOMLAKE_FUZZ_SEED overrides it, DICOMLAKE_FUZZ_CASES the count).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "net/storage_receiver.h"
#include "support/test_dir.h"

namespace dicomlake {
namespace {

std::string Be16(uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)}; }
std::string Be32(uint32_t v) { return Be16(static_cast<uint16_t>(v >> 16)) + Be16(v & 0xFFFF); }
std::string Le16(uint16_t v) { return {static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)}; }
std::string Le32(uint32_t v) { return Le16(v & 0xFFFF) + Le16(static_cast<uint16_t>(v >> 16)); }

std::string Item(uint8_t type, const std::string& body) {
  return std::string(1, static_cast<char>(type)) + '\0' + Be16(static_cast<uint16_t>(body.size())) +
         body;
}

std::string Ae(const std::string& title) { return (title + std::string(16, ' ')).substr(0, 16); }

// An A-ASSOCIATE-RQ (PS3.8 9.3.2) proposing Verification and CT Image Storage in implicit VR.
std::string AssociateRq() {
  const std::string implicit = "1.2.840.10008.1.2";
  std::string body = Be16(1) + Be16(0) + Ae("LAKE") + Ae("FUZZER") + std::string(32, '\0');
  body += Item(0x10, "1.2.840.10008.3.1.1.1");
  body += Item(
      0x20, std::string("\x01\0\0\0", 4) + Item(0x30, "1.2.840.10008.1.1") + Item(0x40, implicit));
  body += Item(0x20, std::string("\x03\0\0\0", 4) + Item(0x30, "1.2.840.10008.5.1.4.1.1.2") +
                         Item(0x40, implicit));
  body += Item(0x50, Item(0x51, Be32(16384)) + Item(0x52, "1.2.3.4"));
  return std::string("\x01\0", 2) + Be32(static_cast<uint32_t>(body.size())) + body;
}

// An implicit VR little endian element of the command group.
std::string Cmd(uint16_t element, const std::string& value) {
  return Le16(0x0000) + Le16(element) + Le32(static_cast<uint32_t>(value.size())) + value;
}

std::string Command(const std::string& elements) {
  return Cmd(0x0000, Le32(static_cast<uint32_t>(elements.size()))) + elements;
}

std::string EchoRq() {
  return Command(Cmd(0x0002, std::string("1.2.840.10008.1.1\0", 18)) + Cmd(0x0100, Le16(0x0030)) +
                 Cmd(0x0110, Le16(1)) + Cmd(0x0800, Le16(0x0101)));
}

std::string StoreRq() {
  return Command(Cmd(0x0002, std::string("1.2.840.10008.5.1.4.1.1.2\0", 26)) +
                 Cmd(0x0100, Le16(0x0001)) + Cmd(0x0110, Le16(2)) + Cmd(0x0700, Le16(0)) +
                 Cmd(0x0800, Le16(0x0000)) + Cmd(0x1000, "1.2.3.4.5.6"));
}

// A P-DATA-TF PDU with one PDV (PS3.8 9.3.5): `control` bit 0 command, bit 1 last fragment.
std::string PData(uint8_t pcid, uint8_t control, const std::string& data) {
  std::string pdv = Be32(static_cast<uint32_t>(data.size() + 2)) +
                    std::string(1, static_cast<char>(pcid)) +
                    std::string(1, static_cast<char>(control)) + data;
  return std::string("\x04\0", 2) + Be32(static_cast<uint32_t>(pdv.size())) + pdv;
}

class Connection {
 public:
  explicit Connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  void Send(const std::string& bytes) {
    if (fd_ >= 0) (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // Reads what arrives within `ms` (at most 64 KiB).
  std::string Read(int ms) {
    std::string out;
    char buf[4096];
    pollfd p{fd_, POLLIN, 0};
    while (fd_ >= 0 && out.size() < 65536 && ::poll(&p, 1, ms) > 0) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      ms = 50;
    }
    return out;
  }

 private:
  int fd_ = -1;
};

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::atoi(v);
}

TEST(ReceiverFuzz, MalformedPdusNeitherCrashNorHangTheReceiver) {
  testing::TestDir dir;
  net::ReceiverOptions options;
  options.ae_title = "LAKE";
  options.port = 0;
  options.spool = dir.Sub("spool");
  options.max_associations = 4;
  options.acse_timeout_seconds = 2;
  options.dimse_timeout_seconds = 2;
  net::StorageReceiver receiver;
  std::atomic<int> ended{0};
  ASSERT_TRUE(receiver.Start(options, [&](const net::AssociationRecord&) { ended++; }).ok());
  const int port = receiver.port();

  std::mt19937 rng(static_cast<uint32_t>(EnvInt("DICOMLAKE_FUZZ_SEED", 16)));
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    return s;
  };
  const std::string rq = AssociateRq();
  const int cases = EnvInt("DICOMLAKE_FUZZ_CASES", 400);
  int accepted = 0;
  for (int i = 0; i < cases; ++i) {
    Connection c(port);
    ASSERT_TRUE(c.ok()) << "case " << i << ": the receiver stopped accepting";
    switch (i % 8) {
      case 0:  // noise
        c.Send(random_bytes(rng() % 4096));
        break;
      case 1: {  // an association request with bytes flipped
        std::string m = rq;
        for (int k = 0; k < 1 + static_cast<int>(rng() % 8); ++k)
          m[rng() % m.size()] ^= 1 << (rng() % 8);
        c.Send(m);
        break;
      }
      case 2:  // cut short
        c.Send(rq.substr(0, rng() % rq.size()));
        break;
      case 3: {  // declared lengths of 4 GiB: the PDU's and an item's
        std::string m = rq;
        if (rng() % 2) {
          m.replace(2, 4, Be32(0xFFFFFFF0u));
        } else {
          m.replace(74 + 2, 2, Be16(0xFFFF));
        }
        c.Send(m);
        break;
      }
      default: {  // an association, then P-DATA of many kinds
        c.Send(rq);
        const std::string ac = c.Read(3000);
        if (ac.empty() || ac[0] != 0x02) break;
        accepted++;
        switch (rng() % 6) {
          case 0:  // a valid C-ECHO, then a garbage command
            c.Send(PData(1, 3, EchoRq()));
            c.Read(500);
            c.Send(PData(1, 3, random_bytes(rng() % 300)));
            break;
          case 1:  // a PDV longer than its PDU
            c.Send(std::string("\x04\0", 2) + Be32(10) + Be32(0xFFFFFF00u) + "\x01\x03" + "abcd");
            break;
          case 2:  // a C-STORE whose data set is cut off, then the connection closes
            c.Send(PData(3, 3, StoreRq()));
            c.Send(PData(3, 0, random_bytes(rng() % 2000)));
            break;
          case 3:  // a C-STORE with a data set of noise: stored as received, bit for bit
            c.Send(PData(3, 3, StoreRq()));
            c.Send(PData(3, 2, random_bytes(1 + rng() % 2000)));
            c.Read(500);
            c.Send(std::string("\x05\0", 2) + Be32(4) + Be32(0));  // A-RELEASE-RQ
            c.Read(500);
            break;
          case 4:  // an abort
            c.Send(std::string("\x07\0", 2) + Be32(4) + Be32(0));
            break;
          default:  // a PDU type that does not exist, with noise
            c.Send(std::string("\x55\0", 2) + Be32(64) + random_bytes(64));
            break;
        }
        break;
      }
    }
  }
  EXPECT_GT(accepted, cases / 4);

  // Senders that stall in the middle of a PDU, twice as many as the receiver serves at once:
  // each is dropped after the ACSE timeout and the others are served after them.
  {
    std::vector<std::unique_ptr<Connection>> stalled;
    for (int k = 0; k < 2 * options.max_associations; ++k) {
      stalled.push_back(std::make_unique<Connection>(port));
      stalled.back()->Send(rq.substr(0, 40));
    }
    std::this_thread::sleep_for(std::chrono::seconds(2 * options.acse_timeout_seconds + 1));
  }

  // Still answering, nothing left open, nothing half-written.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string out;
  int echo = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    echo = testing::RunCommand("echoscu -to 5 -aec LAKE 127.0.0.1 " + std::to_string(port), &out,
                               true);
    if (echo == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(echo, 0) << out;
  while (receiver.active() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(receiver.active(), 0);
  const auto stop_started = std::chrono::steady_clock::now();
  receiver.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(10));
  EXPECT_GT(ended.load(), accepted / 2);
  if (std::filesystem::exists(options.spool)) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(options.spool)) {
      if (e.is_regular_file()) {
        EXPECT_NE(e.path().filename().string()[0], '.') << "left behind: " << e.path();
      }
    }
  }
}

}  // namespace
}  // namespace dicomlake
