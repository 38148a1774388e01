// npm `dicomweb-client` (the DICOMweb library OHIF is built on) reading a lake through
// `dicomlake serve`: searches at every level, metadata, whole instances, frames as stored and
// decoded, rendered images, bulk data. Each answer is checked against the others (the counts a
// study announces are the series and instances it has; an instance is a DICOM file with its
// SOP Instance UID; a native frame has rows x columns x samples x bytes).
// Usage: NODE_PATH=.deps/node/node_modules node dicomweb_client.js http://host:port/dicom-web
'use strict';
global.XMLHttpRequest = require('xhr2');
const { api } = require('dicomweb-client');

const root = process.argv[2];
const client = new api.DICOMwebClient({ url: root, singlepart: false });
const value = (dataset, tag) => {
  const a = dataset[tag];
  return a && a.Value ? a.Value[0] : undefined;
};
let checks = 0;
const check = (ok, what) => {
  checks++;
  if (!ok) throw new Error('dicomweb-client: ' + what);
};

(async () => {
  const studies = await client.searchForStudies();
  check(studies.length > 0, 'no study found');
  const found = await client.searchForStudies({ queryParams: { PatientID: value(studies[0], '00100020') } });
  check(found.length >= 1, 'searching by PatientID found nothing');
  let instancesSeen = 0;
  for (const study of studies.slice(0, 4)) {
    const studyInstanceUID = value(study, '0020000D');
    const series = await client.searchForSeries({ studyInstanceUID });
    check(series.length === Number(value(study, '00201206')),
          `study ${studyInstanceUID} announces ${value(study, '00201206')} series, has ${series.length}`);
    const metadata = await client.retrieveStudyMetadata({ studyInstanceUID });
    check(metadata.length === Number(value(study, '00201208')),
          `study ${studyInstanceUID} announces ${value(study, '00201208')} instances, has ${metadata.length}`);
    for (const s of series) {
      const seriesInstanceUID = value(s, '0020000E');
      const instances = await client.searchForInstances({ studyInstanceUID, seriesInstanceUID });
      check(instances.length === Number(value(s, '00201209')), 'series instance count');
      const first = instances[0];
      const sopInstanceUID = value(first, '00080018');
      const bytes = Buffer.from(await client.retrieveInstance({
        studyInstanceUID, seriesInstanceUID, sopInstanceUID }));
      check(bytes.toString('latin1', 128, 132) === 'DICM', 'an instance is not a DICOM file');
      check(bytes.includes(Buffer.from(sopInstanceUID)), 'an instance lacks its SOP Instance UID');
      instancesSeen++;
      const [meta] = await client.retrieveInstanceMetadata({ studyInstanceUID, seriesInstanceUID, sopInstanceUID });
      check(value(meta, '00080018') === sopInstanceUID, 'instance metadata of another instance');
      if (!meta['7FE00010']) continue;
      const frames = await client.retrieveInstanceFrames({
        studyInstanceUID, seriesInstanceUID, sopInstanceUID, frameNumbers: [1],
        mediaTypes: [{ mediaType: 'application/octet-stream' }] });
      const rows = value(meta, '00280010'), columns = value(meta, '00280011');
      const samples = value(meta, '00280002') || 1, bits = value(meta, '00280100');
      const expected = rows * columns * samples * Math.ceil(bits / 8);
      check(frames.length === 1, 'one frame asked, ' + frames.length + ' given');
      check(frames[0].byteLength === expected || frames[0].byteLength === expected + 1,
            `a decoded frame of ${frames[0].byteLength} bytes, ${expected} expected`);
      let rendered = await client.retrieveInstanceRendered({
        studyInstanceUID, seriesInstanceUID, sopInstanceUID, mediaTypes: [{ mediaType: 'image/png' }] });
      rendered = Buffer.from(Array.isArray(rendered) ? rendered[0] : rendered);  // 0.11: a list
      check(rendered.toString("latin1", 1, 4) === "PNG", "a rendered image is not a PNG: " + rendered.slice(0, 40).toString("latin1"));
      const bulk = meta['7FE00010'].BulkDataURI;
      if (bulk && !bulk.includes('/bulk/tag/')) {
        const data = await client.retrieveBulkData({ BulkDataURI: bulk });
        check(data.length >= 1 && data[0].byteLength >= expected, 'bulk pixel data too short');
      }
    }
  }
  console.log(`dicomweb-client: ${studies.length} studies listed, ${instancesSeen} instances ` +
              `retrieved, ${checks} checks passed`);
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
