#include "net/storage_receiver.h"

#include <arpa/inet.h>
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcostrmf.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/dul.h>
#include <dcmtk/ofstd/ofstd.h>
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
// PS3.5 Table A-1 DCMTK 3.6.7 knows and the HTJ2K ones it does not (by UID).
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

// DCMTK takes a connection accepted elsewhere through one process-wide variable
// (dcmExternalSocketHandle), read while the association request is received: one at a time, in
// the whole process.
std::mutex g_handoff;

bool KnownTransferSyntax(const char* uid) {
  for (const char* ts : kTransferSyntaxes)
    if (std::strcmp(ts, uid) == 0) return true;
  return false;
}

bool StorageSopClass(const char* uid) {
  for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i)
    if (std::strcmp(dcmAllStorageSOPClassUIDs[i], uid) == 0) return true;
  return false;
}

std::string Trim(const char* s) {
  std::string out(s);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return out;
}

// Accepts each proposed presentation context of Verification or a storage SOP class with the
// first transfer syntax the sender proposes that is known (senders propose the one they hold an
// instance in first: accepting it keeps the instance as it is); refuses the others.
void NegotiateContexts(T_ASC_Parameters* params) {
  const int n = ASC_countPresentationContexts(params);
  for (int i = 0; i < n; ++i) {
    T_ASC_PresentationContext pc;
    if (ASC_getPresentationContext(params, i, &pc).bad()) continue;
    const bool echo = std::strcmp(pc.abstractSyntax, UID_VerificationSOPClass) == 0;
    if (!echo && !StorageSopClass(pc.abstractSyntax)) {
      (void)ASC_refusePresentationContext(params, pc.presentationContextID,
                                          ASC_P_ABSTRACTSYNTAXNOTSUPPORTED);
      continue;
    }
    const char* chosen = nullptr;
    for (int t = 0; t < pc.transferSyntaxCount && chosen == nullptr; ++t) {
      if (KnownTransferSyntax(pc.proposedTransferSyntaxes[t]))
        chosen = pc.proposedTransferSyntaxes[t];
    }
    if (chosen == nullptr) {
      (void)ASC_refusePresentationContext(params, pc.presentationContextID,
                                          ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
    } else {
      (void)ASC_acceptPresentationContext(params, pc.presentationContextID, chosen);
    }
  }
}

}  // namespace

struct StorageReceiver::Impl {
  ReceiverOptions options;
  AssociationCallback on_association;
  std::atomic<int> active{0};  // associations acknowledged and not yet ended
  int listen_fd = -1;
  std::thread acceptor;
  std::atomic<bool> stopping{false};
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
  void ServeAssociation(T_ASC_Association* assoc, AssociationRecord* record);
  OFCondition Store(T_ASC_Association* assoc, T_ASC_PresentationContextID pres_id,
                    T_DIMSE_C_StoreRQ& req, AssociationRecord* record);
};

// Receives one instance into a hidden temporary file (bit-preserving: the data set as it comes
// off the wire, after a file meta group of ours), makes it durable and gives it its name; only
// then answers success. A failure to write answers "out of resources" (A700) and keeps nothing.
// A network failure ends the association (nothing to answer).
OFCondition StorageReceiver::Impl::Store(T_ASC_Association* assoc,
                                         T_ASC_PresentationContextID pres_id,
                                         T_DIMSE_C_StoreRQ& req, AssociationRecord* record) {
  const std::string folder = SpoolFolder(options.spool, record->calling_ae);
  const std::string temp = SpoolTempPath(folder);
  auto fail = [&](const std::string& reason) {
    record->failed++;
    record->failures.push_back(std::string(req.AffectedSOPInstanceUID) + ": " + reason);
  };
  auto respond = [&](DIC_US status) {
    T_DIMSE_C_StoreRSP rsp;
    std::memset(&rsp, 0, sizeof rsp);
    rsp.MessageIDBeingRespondedTo = req.MessageID;
    rsp.DimseStatus = status;
    rsp.DataSetType = DIMSE_DATASET_NULL;
    OFStandard::strlcpy(rsp.AffectedSOPClassUID, req.AffectedSOPClassUID,
                        sizeof rsp.AffectedSOPClassUID);
    OFStandard::strlcpy(rsp.AffectedSOPInstanceUID, req.AffectedSOPInstanceUID,
                        sizeof rsp.AffectedSOPInstanceUID);
    rsp.opts = O_STORE_AFFECTEDSOPCLASSUID | O_STORE_AFFECTEDSOPINSTANCEUID;
    return DIMSE_sendStoreResponse(assoc, pres_id, &req, &rsp, nullptr);
  };
  Status made = fs::MakeDirs(folder);
  DcmOutputFileStream* stream = nullptr;
  OFCondition cond =
      made.ok() ? DIMSE_createFilestream(temp.c_str(), &req, assoc, pres_id, OFTrue, &stream)
                : makeOFCondition(0, 1, OF_error, made.message().c_str());
  if (cond.bad()) {
    // Nothing can be written: the data set is still on the wire; read and drop it.
    delete stream;
    (void)fs::RemoveFile(temp);
    DIC_UL bytes = 0, pdvs = 0;
    OFCondition ignored =
        DIMSE_ignoreDataSet(assoc, DIMSE_NONBLOCKING, options.dimse_timeout_seconds, &bytes, &pdvs);
    if (ignored.bad()) return ignored;
    fail(made.ok() ? std::string(cond.text()) : made.message());
    return respond(STATUS_STORE_Refused_OutOfResources);
  }
  T_ASC_PresentationContextID data_pres_id = pres_id;
  cond = DIMSE_receiveDataSetInFile(assoc, DIMSE_NONBLOCKING, options.dimse_timeout_seconds,
                                    &data_pres_id, stream, nullptr, nullptr);
  delete stream;
  if (cond.bad()) {
    (void)fs::RemoveFile(temp);
    fail(std::string("receiving: ") + cond.text());
    return cond;
  }
  auto committed = CommitSpoolFile(temp, folder, req.AffectedSOPInstanceUID);
  if (!committed.ok()) {
    fail(committed.status().message());
    return respond(STATUS_STORE_Refused_OutOfResources);
  }
  auto info = fs::Stat(*committed);
  record->stored++;
  record->bytes += info.ok() ? static_cast<int64_t>(info->size) : 0;
  record->files.push_back(*committed);
  return respond(STATUS_Success);
}

// The DIMSE messages of one acknowledged association, to its release or abort: C-ECHO and
// C-STORE answered; any other command aborts the association (nothing else is offered).
void StorageReceiver::Impl::ServeAssociation(T_ASC_Association* assoc, AssociationRecord* record) {
  for (;;) {
    T_DIMSE_Message msg;
    std::memset(&msg, 0, sizeof msg);
    T_ASC_PresentationContextID pres_id = 0;
    DcmDataset* status_detail = nullptr;
    OFCondition cond = DIMSE_receiveCommand(assoc, DIMSE_NONBLOCKING, options.dimse_timeout_seconds,
                                            &pres_id, &msg, &status_detail);
    delete status_detail;
    if (cond == DUL_PEERREQUESTEDRELEASE) {
      (void)ASC_acknowledgeRelease(assoc);
      record->end = "released";
      return;
    }
    if (cond == DUL_PEERABORTEDASSOCIATION) {
      record->end = "aborted by the sender";
      return;
    }
    if (cond.bad()) {
      record->end =
          cond == DIMSE_NODATAAVAILABLE
              ? "the sender was silent for " + std::to_string(options.dimse_timeout_seconds) + " s"
              : std::string("network error: ") + cond.text();
      (void)ASC_abortAssociation(assoc);
      return;
    }
    if (msg.CommandField == DIMSE_C_ECHO_RQ) {
      cond = DIMSE_sendEchoResponse(assoc, pres_id, &msg.msg.CEchoRQ, STATUS_Success, nullptr);
    } else if (msg.CommandField == DIMSE_C_STORE_RQ) {
      cond = Store(assoc, pres_id, msg.msg.CStoreRQ, record);
    } else {
      record->end = "aborted: an unsupported DIMSE command";
      (void)ASC_abortAssociation(assoc);
      return;
    }
    if (cond.bad()) {
      record->end = std::string("network error: ") + cond.text();
      (void)ASC_abortAssociation(assoc);
      return;
    }
  }
}

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

// One connection: DCMTK receives the association request on it; we negotiate, then serve the
// association to its end and report it.
void StorageReceiver::Impl::Serve(int fd) {
  T_ASC_Network* network = nullptr;
  T_ASC_Association* assoc = nullptr;
  OFCondition cond;
  {
    std::lock_guard<std::mutex> lock(g_handoff);
    dcmExternalSocketHandle.set(fd);
    cond = ASC_initializeNetwork(NET_ACCEPTOR, 0, options.acse_timeout_seconds, &network);
    if (cond.good()) {
      cond = ASC_receiveAssociation(network, &assoc, options.max_pdu, nullptr, nullptr, OFFalse,
                                    DUL_NOBLOCK, options.acse_timeout_seconds);
    }
    dcmExternalSocketHandle.set(OFstatic_cast(DcmNativeSocketType, -1));
  }
  if (cond.bad() || assoc == nullptr) {  // not an association request: nothing to report
    if (assoc != nullptr) {
      ASC_dropAssociation(assoc);
      ASC_destroyAssociation(&assoc);
    } else {
      ::close(fd);
    }
    if (network != nullptr) ASC_dropNetwork(&network);
    return;
  }
  AssociationRecord record;
  record.started_us = NowMicros();
  record.calling_ae = Trim(assoc->params->DULparams.callingAPTitle);
  record.called_ae = Trim(assoc->params->DULparams.calledAPTitle);
  const std::string address = assoc->params->DULparams.callingPresentationAddress;
  record.peer_address = address.substr(0, address.rfind(':'));
  if (!Allowed(record.calling_ae, record.peer_address)) {
    T_ASC_RejectParameters rej = {ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
                                  ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED};
    (void)ASC_rejectAssociation(assoc, &rej);
    record.end = "refused: calling AE title " + record.calling_ae + " from " + record.peer_address +
                 " is not allowed";
  } else {
    NegotiateContexts(assoc->params);
    (void)ASC_setAPTitles(assoc->params, nullptr, nullptr, options.ae_title.c_str());
    if (ASC_countAcceptedPresentationContexts(assoc->params) == 0) {
      T_ASC_RejectParameters rej = {ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
                                    ASC_REASON_SU_NOREASON};
      (void)ASC_rejectAssociation(assoc, &rej);
      record.end =
          "refused: no presentation context proposed is a storage SOP class or "
          "Verification in a known transfer syntax";
    } else if (ASC_acknowledgeAssociation(assoc).bad()) {
      record.end = "network error while acknowledging the association";
    } else {
      active++;
      ServeAssociation(assoc, &record);
      active--;
    }
  }
  record.ended_us = NowMicros();
  (void)ASC_dropSCPAssociation(assoc);
  ASC_destroyAssociation(&assoc);
  ASC_dropNetwork(&network);
  if (on_association) on_association(record);
}

StorageReceiver::StorageReceiver() : impl_(std::make_unique<Impl>()) {}

StorageReceiver::~StorageReceiver() { Stop(); }

Status StorageReceiver::Start(const ReceiverOptions& options, AssociationCallback on_association) {
  dicom::ConfigureDcmtk();
  // Peers are named by address (what --allow takes), not by a reverse DNS lookup.
  dcmDisableGethostbyaddr.set(OFTrue);
  if (options.spool.empty()) return InvalidArgument("the receiver needs a spool folder");
  DL_RETURN_IF_ERROR(fs::MakeDirs(options.spool));
  impl_->options = options;
  impl_->on_association = std::move(on_association);

  // The listening socket, bound to the address asked for; connections are handed to DCMTK.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (::inet_pton(AF_INET, options.bind_address.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return InvalidArgument("--bind: not an IPv4 address: " + options.bind_address);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return IoError("cannot listen on " + options.bind_address + ":" + std::to_string(options.port) +
                   ": " + why);
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  impl_->listen_fd = fd;

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
}

}  // namespace dicomlake::net
