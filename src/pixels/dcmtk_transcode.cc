// TranscodeFile (pixels/rendering.h) through DCMTK: the data set is loaded whole, its pixel data
// put into the wanted representation by the registered codecs, and written to a temporary file
// that is read back and removed.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <unistd.h>

#include <cstdlib>

#include "common/fs.h"
#include "common/large_stack.h"
#include "dicom/dcmtk_setup.h"
#include "pixels/rendering.h"

namespace dicomlake::pixels {

Result<std::string> TranscodeFile(const std::string& path, const std::string& transfer_syntax_uid) {
  dicom::ConfigureDcmtk();
  dicom::RegisterDcmtkCodecs();
  const DcmXfer wanted(transfer_syntax_uid.c_str());
  if (wanted.getXfer() == EXS_Unknown)
    return InvalidArgument("unknown transfer syntax " + transfer_syntax_uid);
  if (wanted.isEncapsulated() || wanted.getXfer() == EXS_DeflatedLittleEndianExplicit)
    return Unsupported("transcoding into " + transfer_syntax_uid +
                       " is not offered; ask for the stored transfer syntax (transfer-syntax=*)");
  Result<std::string> out = Internal("not transcoded");
  Status ran = RunOnLargeStack([&] {
    out = [&]() -> Result<std::string> {
      DcmFileFormat file;
      OFCondition cond = file.loadFile(OFFilename(path.c_str()));
      if (cond.bad()) return InvalidArgument(std::string("not readable as DICOM: ") + cond.text());
      DcmDataset* data = file.getDataset();
      if (data->chooseRepresentation(wanted.getXfer(), nullptr).bad() ||
          !data->canWriteXfer(wanted.getXfer())) {
        return Unsupported("the instance cannot be written in " + transfer_syntax_uid +
                           " (its pixel data cannot be decoded here)");
      }
      char temp[] = "/tmp/dicomlake-transcode-XXXXXX";
      const int fd = mkstemp(temp);
      if (fd < 0) return ErrnoError(errno, "cannot make a temporary file");
      close(fd);
      cond = file.saveFile(OFFilename(temp), wanted.getXfer());
      Result<std::string> bytes =
          cond.good() ? fs::ReadFile(temp)
                      : Result<std::string>(IoError(std::string("cannot write: ") + cond.text()));
      unlink(temp);
      return bytes;
    }();
  });
  if (!ran.ok()) return ran;
  return out;
}

}  // namespace dicomlake::pixels
