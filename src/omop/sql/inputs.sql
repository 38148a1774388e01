-- The inputs of the OMOP mapping, materialised once per gold run (driver: omop/gold_mapping.cc).
-- Statements are separated by "-- step: <name>" lines; {{name}} is filled in by the driver and
-- {{tag:Keyword}} is the DICOM JSON path of that attribute's first value (dicom/tags.h).

-- step: study
-- The silver ImagingStudy rows that changed since the last run, with the key of their person:
-- the linked Patient's id, else the patient identifier, else the study itself.
CREATE OR REPLACE TEMP TABLE __gold_study AS
SELECT s.id, s.msftSourceSystem, s.subject, s.started, s.description, s.procedureCode, s.series,
       s.meta_lastUpdated,
       CASE WHEN s.subject.id IS NOT NULL THEN s.subject.id
            WHEN s.subject.identifier.value IS NOT NULL
              THEN 'identifier:' || coalesce(s.subject.identifier.system, '') || '|' ||
                   s.subject.identifier.value
            ELSE 'study:' || s.id END AS person_source
FROM {{changed_studies}} s;

-- step: meta
-- The DICOM facts gold needs, for every instance of those studies (silver ImagingMetastore).
CREATE OR REPLACE TEMP TABLE __gold_meta AS
SELECT id, seriesInstanceUid, studyInstanceUid, sourceModifiedAt, filePath,
       json_extract_string(metadata_string, {{tag:PatientSex}}) AS sex,
       json_extract_string(metadata_string, {{tag:PatientBirthDate}}) AS birth,
       json_extract_string(metadata_string, {{tag:PatientAge}}) AS age,
       json_extract_string(metadata_string, {{tag:BodyPartExamined}}) AS body_part
FROM {{metastore}} m
WHERE m.id IN (SELECT id FROM __gold_study);

-- step: count_studies
SELECT count(*) FROM __gold_study;
