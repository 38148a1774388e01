// DCMTK's process-wide settings, the same for every part of dicomlake that reads DICOM with
// DCMTK (the reader, the pixel reader, the de-identifier), so that all of them see a file alike.
#pragma once

namespace dicomlake::dicom {

// Sets DCMTK's global options once (later calls do nothing): quiet logging, UN elements of
// known attributes read with their dictionary VR, data sets read as they are encoded, and
// dicomlake's private dictionary. Thread-safe; call before loading a file.
void ConfigureDcmtk();

// Registers DCMTK's JPEG, JPEG-LS and RLE decoders and encoders once (process-wide state, the
// same for every caller): colour JPEG frames come out by pixel, YBR converted to RGB as the
// stream's photometric interpretation says. Thread-safe.
void RegisterDcmtkCodecs();

}  // namespace dicomlake::dicom
