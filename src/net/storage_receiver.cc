#include "net/storage_receiver.h"

#include <arpa/inet.h>
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/dul.h>
#include <dcmtk/dcmnet/scpthrd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/fs.h"
#include "common/time_util.h"
#include "dicom/dcmtk_setup.h"
#include "net/spool.h"

namespace dicomlake::net {
namespace {

// Every transfer syntax a sender may propose, accepted as it is (no transcoding): the ones of
// PS3.5 Table A-1 DCMTK 3.6.7 knows and the HTJ2K ones it does not (by UID). In order of
// preference for a presentation context that proposes several: the encoded ones first, so that
// a sender proposing a file's own syntax beside an uncompressed one sends the file as it is
// (with the uncompressed ones first, DCMTK's dcmsend decompresses an RLE file to send it).
const char* const kTransferSyntaxes[] = {
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_JPEG2000TransferSyntax,
    UID_JPEG2000Part2MulticomponentImageCompressionLosslessOnlyTransferSyntax,
    UID_JPEG2000Part2MulticomponentImageCompressionTransferSyntax,
    UID_RLELosslessTransferSyntax,
    UID_MPEG2MainProfileAtMainLevelTransferSyntax,
    UID_MPEG2MainProfileAtHighLevelTransferSyntax,
    UID_MPEG4HighProfileLevel4_1TransferSyntax,
    UID_MPEG4BDcompatibleHighProfileLevel4_1TransferSyntax,
    UID_MPEG4HighProfileLevel4_2_For2DVideoTransferSyntax,
    UID_MPEG4HighProfileLevel4_2_For3DVideoTransferSyntax,
    UID_MPEG4StereoHighProfileLevel4_2TransferSyntax,
    UID_HEVCMainProfileLevel5_1TransferSyntax,
    UID_HEVCMain10ProfileLevel5_1TransferSyntax,
    UID_JPIPReferencedTransferSyntax,
    UID_JPIPReferencedDeflateTransferSyntax,
    "1.2.840.10008.1.2.1.98",   // Encapsulated Uncompressed Explicit VR Little Endian
    "1.2.840.10008.1.2.4.201",  // HTJ2K lossless
    "1.2.840.10008.1.2.4.202",  // HTJ2K lossless RPCL
    "1.2.840.10008.1.2.4.203",  // HTJ2K
    UID_LittleEndianExplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
};

// The receiver the pool's workers serve (one per process).
std::atomic<StorageReceiver::Impl*> g_receiver{nullptr};

class Worker;

}  // namespace

struct StorageReceiver::Impl {
  ReceiverOptions options;
  AssociationCallback on_association;
  std::atomic<int> active{0};  // associations acknowledged and not yet ended
  std::shared_ptr<DcmSharedSCPConfig> config;
  int listen_fd = -1;
  std::thread acceptor;
  std::atomic<bool> stopping{false};
  // DCMTK takes a connection accepted elsewhere through one process-wide variable
  // (dcmExternalSocketHandle), read while the association request is received: one at a time.
  std::mutex handoff;
  std::mutex mu;  // guards connections
  std::condition_variable changed;
  int connections = 0;  // connection threads running

  bool Allowed(const std::string& calling_ae, const std::string& host) const {
    if (options.allowed_callers.empty()) return true;
    for (const auto& a : options.allowed_callers) {
      const size_t at = a.find('@');
      if (at == std::string::npos ? a == calling_ae
                                  : a.substr(0, at) == calling_ae && a.substr(at + 1) == host)
        return true;
    }
    return false;
  }

  void AcceptLoop();
  void Serve(int fd);
};

namespace {

// One association at a time, on a pool thread.
class Worker : public DcmThreadSCP {
 public:
  Worker() = default;

 protected:
  void notifyAssociationRequest(const T_ASC_Parameters& params,
                                DcmSCPActionType& desired) override {
    StorageReceiver::Impl* r = g_receiver.load();
    record_ = AssociationRecord();
    record_.started_us = NowMicros();
    record_.calling_ae = Trim(params.DULparams.callingAPTitle);
    record_.called_ae = Trim(params.DULparams.calledAPTitle);
    std::string address = params.DULparams.callingPresentationAddress;
    record_.peer_address = address.substr(0, address.rfind(':'));
    if (r == nullptr || !r->Allowed(record_.calling_ae, record_.peer_address)) {
      desired = DCMSCP_ACTION_REFUSE_ASSOCIATION;
      record_.end = "refused: calling AE title " + record_.calling_ae + " from " +
                    record_.peer_address + " is not allowed";
    }
  }

  void notifyAssociationAcknowledge() override {
    if (StorageReceiver::Impl* r = g_receiver.load()) r->active++;
    acknowledged_ = true;
  }
  void notifyReleaseRequest() override { record_.end = "released"; }
  void notifyAbortRequest() override { record_.end = "aborted by the sender"; }
  void notifyDIMSEError(const OFCondition& cond) override {
    if (record_.end.empty()) record_.end = std::string("network error: ") + cond.text();
  }

  void notifyAssociationTermination() override {
    StorageReceiver::Impl* r = g_receiver.load();
    record_.ended_us = NowMicros();
    if (record_.end.empty()) record_.end = "ended";
    if (r != nullptr) {
      if (acknowledged_) r->active--;
      if (r->on_association) r->on_association(record_);
    }
    acknowledged_ = false;
    record_ = AssociationRecord();
  }

  OFCondition handleIncomingCommand(T_DIMSE_Message* msg,
                                    const DcmPresentationContextInfo& info) override {
    if (msg->CommandField != DIMSE_C_STORE_RQ)
      return DcmThreadSCP::handleIncomingCommand(msg, info);
    return Store(msg->msg.CStoreRQ, info.presentationContextID);
  }

 private:
  static std::string Trim(const char* s) {
    std::string out(s);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

  // Receives one instance into a hidden temporary file, makes it durable and gives it its name;
  // only then answers success. A failure answers "out of resources" (A700) and keeps nothing.
  OFCondition Store(T_DIMSE_C_StoreRQ& req, T_ASC_PresentationContextID pres_id) {
    StorageReceiver::Impl* r = g_receiver.load();
    const std::string folder = SpoolFolder(r->options.spool, record_.calling_ae);
    const std::string temp = SpoolTempPath(folder);
    Status made = fs::MakeDirs(folder);
    OFCondition cond = made.ok() ? receiveSTORERequest(req, pres_id, temp.c_str())
                                 : makeOFCondition(0, 1, OF_error, made.message().c_str());
    if (!made.ok()) {
      // Nothing received into a file: the data set is still on the wire; read and drop it.
      DcmDataset* dropped = nullptr;
      cond = receiveSTORERequest(req, pres_id, dropped);
      delete dropped;
      if (cond.bad()) return cond;
      Fail(req, made.message());
      return sendSTOREResponse(pres_id, req, STATUS_STORE_Refused_OutOfResources);
    }
    if (cond.bad()) {  // the association is broken: nothing to answer
      (void)fs::RemoveFile(temp);
      Fail(req, std::string("receiving: ") + cond.text());
      return cond;
    }
    auto committed = CommitSpoolFile(temp, folder, req.AffectedSOPInstanceUID);
    if (!committed.ok()) {
      Fail(req, committed.status().message());
      return sendSTOREResponse(pres_id, req, STATUS_STORE_Refused_OutOfResources);
    }
    const std::string& final_path = *committed;
    auto info = fs::Stat(final_path);
    record_.stored++;
    record_.bytes += info.ok() ? static_cast<int64_t>(info->size) : 0;
    record_.files.push_back(final_path);
    return sendSTOREResponse(pres_id, req, STATUS_Success);
  }

  void Fail(const T_DIMSE_C_StoreRQ& req, const std::string& reason) {
    record_.failed++;
    record_.failures.push_back(std::string(req.AffectedSOPInstanceUID) + ": " + reason);
  }

  AssociationRecord record_;
  bool acknowledged_ = false;
};

}  // namespace

// Waits for connections on the socket bound in Start, at most max_associations served at once
// (the others wait in the kernel's backlog); looks for Stop() twice a second.
void StorageReceiver::Impl::AcceptLoop() {
  while (!stopping.load()) {
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait_for(lock, std::chrono::milliseconds(500),
                       [this] { return connections < options.max_associations || stopping; });
      if (stopping.load()) break;
      if (connections >= options.max_associations) continue;
    }
    pollfd pfd{listen_fd, POLLIN, 0};
    if (::poll(&pfd, 1, 500) <= 0) continue;
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard<std::mutex> lock(mu);
      connections++;
    }
    std::thread([this, fd] {
      Serve(fd);
      std::lock_guard<std::mutex> lock(mu);
      connections--;
      changed.notify_all();
    }).detach();
  }
}

// One connection: DCMTK receives the association request on it and a worker serves the
// association to its end.
void StorageReceiver::Impl::Serve(int fd) {
  T_ASC_Network* network = nullptr;
  T_ASC_Association* assoc = nullptr;
  OFCondition cond;
  {
    std::lock_guard<std::mutex> lock(handoff);
    dcmExternalSocketHandle.set(fd);
    cond = ASC_initializeNetwork(NET_ACCEPTOR, 0, options.acse_timeout_seconds, &network);
    if (cond.good()) {
      cond = ASC_receiveAssociation(network, &assoc, options.max_pdu, nullptr, nullptr, OFFalse,
                                    DUL_NOBLOCK, options.acse_timeout_seconds);
    }
    dcmExternalSocketHandle.set(OFstatic_cast(DcmNativeSocketType, -1));
  }
  if (cond.good() && assoc != nullptr) {
    Worker worker;
    worker.setSharedConfig(*config);
    (void)worker.run(assoc);  // ends (and frees) the association
  } else {
    if (assoc != nullptr) {
      ASC_dropAssociation(assoc);
      ASC_destroyAssociation(&assoc);
    } else {
      ::close(fd);
    }
  }
  if (network != nullptr) ASC_dropNetwork(&network);
}

StorageReceiver::StorageReceiver() : impl_(std::make_unique<Impl>()) {}

StorageReceiver::~StorageReceiver() { Stop(); }

Status StorageReceiver::Start(const ReceiverOptions& options, AssociationCallback on_association) {
  dicom::ConfigureDcmtk();
  if (options.spool.empty()) return InvalidArgument("the receiver needs a spool folder");
  DL_RETURN_IF_ERROR(fs::MakeDirs(options.spool));
  StorageReceiver::Impl* expected = nullptr;
  if (!g_receiver.compare_exchange_strong(expected, impl_.get())) {
    return Conflict("a storage receiver already runs in this process");
  }
  impl_->options = options;
  impl_->on_association = std::move(on_association);

  // The listening socket, bound to the address asked for; connections are handed to DCMTK.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    g_receiver.store(nullptr);
    return IoError(std::string("socket: ") + std::strerror(errno));
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (::inet_pton(AF_INET, options.bind_address.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    g_receiver.store(nullptr);
    return InvalidArgument("--bind: not an IPv4 address: " + options.bind_address);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    g_receiver.store(nullptr);
    return IoError("cannot listen on " + options.bind_address + ":" + std::to_string(options.port) +
                   ": " + why);
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  impl_->listen_fd = fd;

  DcmSCPConfig config;
  config.setAETitle(options.ae_title.c_str());
  config.setPort(static_cast<Uint16>(port_));
  config.setMaxReceivePDULength(options.max_pdu);
  config.setACSETimeout(static_cast<Uint32>(options.acse_timeout_seconds));
  config.setDIMSETimeout(static_cast<Uint32>(options.dimse_timeout_seconds));
  config.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  config.setHostLookupEnabled(OFFalse);
  config.setRespondWithCalledAETitle(OFFalse);
  OFList<OFString> syntaxes;
  for (const char* ts : kTransferSyntaxes) syntaxes.push_back(ts);
  OFList<OFString> echo_syntaxes;
  echo_syntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
  echo_syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
  echo_syntaxes.push_back(UID_BigEndianExplicitTransferSyntax);
  config.addPresentationContext(UID_VerificationSOPClass, echo_syntaxes);
  for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i)
    config.addPresentationContext(dcmAllStorageSOPClassUIDs[i], syntaxes);
  impl_->config = std::make_shared<DcmSharedSCPConfig>(config);
  impl_->acceptor = std::thread([this] { impl_->AcceptLoop(); });
  return Status::Ok();
}

int StorageReceiver::active() const { return impl_->active.load(); }

void StorageReceiver::Stop() {
  if (!impl_->acceptor.joinable()) return;
  impl_->stopping.store(true);
  impl_->changed.notify_all();
  impl_->acceptor.join();
  // The associations in progress finish (each bounded by the DIMSE timeout).
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->changed.wait(lock, [this] { return impl_->connections == 0; });
  ::close(impl_->listen_fd);
  impl_->listen_fd = -1;
  g_receiver.store(nullptr);
}

}  // namespace dicomlake::net
