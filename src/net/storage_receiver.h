// A DICOM storage receiver (C-STORE SCP and C-ECHO) over DCMTK's dcmnet (issue 16): every
// storage SOP class DCMTK knows, every transfer syntax a sender proposes accepted as it is, the
// data set written exactly as received (bit-preserving: the receiver only writes its own file
// meta group), durably (fsync, rename, fsync of the folder) before the success status goes back.
// Several associations at once (a thread each); callers allowed by AE title and host; bound to
// one address. Each proposed presentation context of a storage SOP class is accepted with the
// first transfer syntax the sender proposes (the one it holds the instance in, conventionally),
// so nothing is converted on the way. The received files land in a spool folder (net/spool.h)
// the caller ingests.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace dicomlake::net {

struct ReceiverOptions {
  std::string ae_title = "DICOMLAKE";
  std::string bind_address = "127.0.0.1";  // the address listened on ("0.0.0.0": every one)
  int port = 11112;                        // 0: any free port (see StorageReceiver::port())
  int max_associations = 8;
  // Callers allowed: "AET" (from any host) or "AET@host" (host as an IP address); empty: any.
  std::vector<std::string> allowed_callers;
  // Where received files go: <spool>/<calling AE title>/<YYYYMMDD>/<SOP Instance UID>.dcm.
  std::string spool;
  int acse_timeout_seconds = 30;
  int dimse_timeout_seconds = 60;  // a sender silent this long in an association is dropped
  uint32_t max_pdu = 131072;
};

// One association, when it has ended (a STOW-RS request is recorded the same way: protocol
// "STOW-RS", no AE titles).
struct AssociationRecord {
  std::string protocol = "DIMSE";
  std::string calling_ae, called_ae, peer_address;
  int64_t started_us = 0, ended_us = 0;
  int64_t stored = 0, failed = 0, bytes = 0;
  std::vector<std::string> files;     // stored, in order
  std::vector<std::string> failures;  // "<SOP Instance UID>: reason"
  std::string end;                    // "released", "aborted", "refused", or the network error
};

using AssociationCallback = std::function<void(const AssociationRecord&)>;

class StorageReceiver {
 public:
  // `on_association` runs on a worker thread when an association ends.

  StorageReceiver();
  ~StorageReceiver();
  StorageReceiver(const StorageReceiver&) = delete;
  StorageReceiver& operator=(const StorageReceiver&) = delete;

  // Binds and starts accepting on a thread of its own. Fails when the port cannot be bound.
  Status Start(const ReceiverOptions& options, AssociationCallback on_association);
  // Stops accepting, lets the associations in progress finish (a bounded wait), joins.
  void Stop();
  int port() const { return port_; }
  // Associations in progress now.
  int active() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace dicomlake::net
