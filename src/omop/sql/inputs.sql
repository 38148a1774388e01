-- The inputs of the OMOP mapping, materialised once per gold run (driver: omop/gold_mapping.cc).
-- Statements are separated by "-- step: <name>" lines; {{name}} is filled in by the driver and
-- {{tag:Keyword}} is the DICOM JSON path of that attribute's first value (dicom/tags.h).

-- step: changed
-- The ids of the silver ImagingStudy rows that changed since the last run: their rows in gold
-- are replaced by what the mapping gives now (none for a study entered-in-error).
CREATE OR REPLACE TEMP TABLE __gold_changed AS SELECT id FROM {{changed_studies}};

-- step: study
-- The silver ImagingStudy rows that changed since the last run, with the key of their person:
-- the linked Patient's id, else the patient identifier, else the study itself. A study whose
-- every instance was deleted (status entered-in-error, `dicomlake delete`) is not mapped.
CREATE OR REPLACE TEMP TABLE __gold_study AS
SELECT s.id, s.msftSourceSystem, s.subject, s.started, s.description, s.procedureCode, s.series,
       s.meta_lastUpdated,
       CASE WHEN s.subject.id IS NOT NULL THEN s.subject.id
            WHEN s.subject.identifier.value IS NOT NULL
              THEN 'identifier:' || coalesce(s.subject.identifier.system, '') || '|' ||
                   s.subject.identifier.value
            ELSE 'study:' || s.id END AS person_source
FROM {{changed_studies}} s
WHERE s.status IS DISTINCT FROM 'entered-in-error';

-- step: meta
-- The DICOM facts gold needs, for every instance of those studies (silver ImagingMetastore) that
-- is not deleted.
-- PatientBirthDate and PatientAge are read by the rules of the DICOM value layer
-- (dicom/values.h), so gold agrees with bronze: DA is YYYYMMDD or the ACR-NEMA YYYY.MM.DD, padding
-- (spaces, NULs) ignored, year 0001 or later, a day that exists; AS is nnnD/W/M/Y.
CREATE OR REPLACE TEMP TABLE __gold_meta AS
SELECT id, seriesInstanceUid, studyInstanceUid, sourceModifiedAt, filePath, sex,
       CASE WHEN regexp_matches(birth_da, '^[0-9]{8}$') AND left(birth_da, 4) <> '0000'
            THEN strftime(TRY_STRPTIME(birth_da, '%Y%m%d'), '%Y-%m-%d') END AS birth,
       CASE WHEN regexp_matches(age_as, '^[0-9]{3}[DWMY]$')
            THEN CASE right(age_as, 1)
                   WHEN 'Y' THEN TRY_CAST(left(age_as, 3) AS INTEGER)
                   WHEN 'M' THEN TRY_CAST(left(age_as, 3) AS INTEGER) // 12
                   WHEN 'W' THEN TRY_CAST(left(age_as, 3) AS INTEGER) * 7 // 365
                   ELSE TRY_CAST(left(age_as, 3) AS INTEGER) // 365 END END AS age_years,
       body_part
FROM (
  SELECT id, seriesInstanceUid, studyInstanceUid, sourceModifiedAt, filePath,
         json_extract_string(metadata_string, {{tag:PatientSex}}) AS sex,
         regexp_replace(trim(json_extract_string(metadata_string, {{tag:PatientBirthDate}}),
                             ' ' || chr(0)),
                        '^([0-9]{4})[.]([0-9]{2})[.]([0-9]{2})$', '\1\2\3') AS birth_da,
         trim(json_extract_string(metadata_string, {{tag:PatientAge}}), ' ' || chr(0)) AS age_as,
         json_extract_string(metadata_string, {{tag:BodyPartExamined}}) AS body_part
  FROM {{metastore}} m
  WHERE m.id IN (SELECT id FROM __gold_study) AND NOT coalesce(m.msftIsDeleted, false));

-- step: count_studies
SELECT count(*) FROM __gold_study;
