// Clean Pixel Data (PS3.15 E.3.1), the DCMTK side: burned-in text found by a TextFinder is blacked
// out in every frame of an instance that may carry it. Internal to the DCMTK de-identifier
// (deid/dcmtk_deidentifier.cc); DCMTK types in this header for that reason only.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <vector>

#include "common/status.h"
#include "deid/deidentifier.h"
#include "deid/text_finder.h"

namespace dicomlake::deid {

// True when the instance's frames may carry burned-in text: Burned In Annotation YES, an
// ultrasound image, a secondary capture (screen captures), or `all` (every image).
bool MayCarryBurnedInText(DcmDataset& ds, bool all);

// Finds text in every frame of `ds` and blacks it out (the finder's boxes; the darkest value of
// the photometric interpretation), appending each box to `boxes`. Encapsulated pixel data is
// decoded first (RLE, JPEG, JPEG-LS; anything else is an error: the instance cannot be cleaned).
// Sets `*write_xfer`: the original syntax when nothing changed or it is re-encoded losslessly
// (native, RLE, JPEG-LS lossless, JPEG lossless), else Explicit VR Little Endian. Errors name why
// the text cannot be removed; the caller leaves the instance out.
Status CleanBurnedInText(DcmDataset& ds, E_TransferSyntax original, TextFinder& finder,
                         std::vector<RedactedBox>* boxes, E_TransferSyntax* write_xfer);

}  // namespace dicomlake::deid
