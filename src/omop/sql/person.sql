-- OMOP CDM 5.4 person (docs/omop.md): one row per patient, from silver Patient when the clinical
-- data has the patient, else from the DICOM patient module of the study's newest instance.
-- Inputs: {{changed_patients}} (silver Patient rows that changed), __gold_study, __gold_meta.

-- step: source
-- One candidate per person source id; the newest wins.
CREATE OR REPLACE TEMP TABLE __gold_person_src AS
SELECT * FROM (
  SELECT p.id AS source_id, p.gender, p.birthDate AS birth, 'Patient' AS table_name,
         p.meta_lastUpdated AS updated
  FROM {{changed_patients}} p
  UNION ALL
  SELECT s.person_source,
         CASE upper(d.sex) WHEN 'M' THEN 'male' WHEN 'F' THEN 'female' WHEN 'O' THEN 'other'
                           ELSE d.sex END,
         -- PatientBirthDate, else the year implied by PatientAge at the study date.
         coalesce(d.birth,
                  CASE WHEN d.age_years IS NOT NULL AND s.started IS NOT NULL
                       THEN lpad((TRY_CAST(left(s.started, 4) AS INTEGER) -
                                  d.age_years)::VARCHAR, 4, '0') END),
         'ImagingStudy', s.meta_lastUpdated
  FROM __gold_study s
  LEFT JOIN (SELECT id, arg_max(sex, sourceModifiedAt) AS sex,
                    arg_max(birth, sourceModifiedAt) AS birth,
                    arg_max(age_years, sourceModifiedAt) AS age_years
             FROM __gold_meta GROUP BY id) d ON d.id = s.id
  WHERE s.subject.id IS NULL)
QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY updated DESC NULLS LAST) = 1;

-- step: skipped
SELECT source_id, 'no year of birth: OMOP requires person.year_of_birth, so this person and ' ||
                  'their records are left out of gold'
FROM __gold_person_src WHERE TRY_CAST(left(birth, 4) AS INTEGER) IS NULL;

-- step: ids
SELECT source_id FROM __gold_person_src WHERE TRY_CAST(left(birth, 4) AS INTEGER) IS NOT NULL;

-- step: rows
-- Ids from __gold_person_ids (source_id, omop_id), assigned by the driver.
CREATE OR REPLACE TEMP TABLE __gold_person AS
SELECT i.omop_id AS person_id,
       CASE lower(p.gender) WHEN 'male' THEN 8507 WHEN 'female' THEN 8532 ELSE 0 END
         AS gender_concept_id,
       TRY_CAST(left(p.birth, 4) AS INTEGER) AS year_of_birth,
       CASE WHEN length(p.birth) >= 7 THEN TRY_CAST(substr(p.birth, 6, 2) AS INTEGER) END
         AS month_of_birth,
       CASE WHEN length(p.birth) >= 10 THEN TRY_CAST(substr(p.birth, 9, 2) AS INTEGER) END
         AS day_of_birth,
       CASE WHEN length(p.birth) >= 10
            THEN TRY_CAST(left(p.birth, 10) || ' 00:00:00+00' AS TIMESTAMPTZ) END
         AS birth_datetime,
       0 AS race_concept_id, 0 AS ethnicity_concept_id, NULL::INTEGER AS location_id,
       NULL::INTEGER AS provider_id, NULL::INTEGER AS care_site_id,
       p.source_id AS person_source_value, p.gender AS gender_source_value,
       0 AS gender_source_concept_id, NULL::VARCHAR AS race_source_value,
       0 AS race_source_concept_id, NULL::VARCHAR AS ethnicity_source_value,
       0 AS ethnicity_source_concept_id,
       p.source_id AS msftSourceRecordId, p.table_name AS msftSourceTableName,
       {{now}} AS msftModifiedDatetime
FROM __gold_person_src p JOIN __gold_person_ids i ON i.source_id = p.source_id;

-- step: count_patients
SELECT count(*) FROM __gold_person_src WHERE table_name = 'Patient';
