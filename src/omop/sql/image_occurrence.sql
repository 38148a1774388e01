-- OHDSI MI-CDM image_occurrence (docs/omop.md): one row per series of a study in
-- procedure_occurrence. Inputs: __gold_study, __gold_meta, __gold_procedure, the concept maps
-- __gold_modality_map and __gold_body_part_map (value, concept_id).

-- step: source
CREATE OR REPLACE TEMP TABLE __gold_series AS
SELECT s.id, s.id || '/' || s.x.uid AS source_id, s.x.uid AS series_uid,
       s.x.modality.code AS modality, s.x.started AS series_started,
       p.procedure_occurrence_id, p.person_id, p.procedure_date,
       m.study_uid, m.body_part, m.local_path
FROM (SELECT id, unnest(series) AS x FROM __gold_study) s
JOIN __gold_procedure p ON p.msftSourceRecordId = s.id
LEFT JOIN (SELECT id, seriesInstanceUid,
                  arg_max(studyInstanceUid, sourceModifiedAt) AS study_uid,
                  arg_max(body_part, sourceModifiedAt) AS body_part,
                  regexp_replace(min(filePath), '/[^/]*$', '') AS local_path
           FROM __gold_meta GROUP BY id, seriesInstanceUid) m
  ON m.id = s.id AND m.seriesInstanceUid = s.x.uid;

-- step: skipped
SELECT source_id, 'series without a StudyInstanceUID is left out (image_study_uid is required)'
FROM __gold_series WHERE study_uid IS NULL;

-- step: ids
SELECT source_id FROM __gold_series WHERE study_uid IS NOT NULL;

-- step: rows
-- Ids from __gold_image_ids (source_id, omop_id); {{wadors_uri}} builds the series' WADO-RS URI
-- from g.study_uid and g.series_uid, or is NULL when no DICOMweb base URL is configured. The
-- body part is looked up normalised as dicom::NormalizeBodyPartTerm does.
CREATE OR REPLACE TEMP TABLE __gold_image AS
SELECT i.omop_id AS image_occurrence_id, g.person_id, g.procedure_occurrence_id,
       NULL::INTEGER AS visit_occurrence_id,
       coalesce(b.concept_id, 0) AS anatomic_site_concept_id,
       {{wadors_uri}} AS wadors_uri, g.local_path,
       coalesce(TRY_CAST(left(g.series_started, 10) AS DATE), g.procedure_date)
         AS image_occurrence_date,
       g.study_uid AS image_study_uid, g.series_uid AS image_series_uid,
       coalesce(mo.concept_id, 0) AS modality_concept_id, g.modality AS modality_source_value,
       g.body_part AS anatomic_site_source_value,
       g.source_id AS msftSourceRecordId, 'ImagingStudy' AS msftSourceTableName,
       {{now}} AS msftModifiedDatetime
FROM __gold_series g
JOIN __gold_image_ids i ON i.source_id = g.source_id
LEFT JOIN __gold_modality_map mo ON mo.value = g.modality
LEFT JOIN __gold_body_part_map b
  ON b.value = upper(replace(replace(replace(g.body_part, ' ', ''), '_', ''), '-', ''));

-- step: stale
-- The rows of series of changed studies that the mapping no longer gives (the series deleted,
-- or its study): deleted from gold. {{gold_table}} is gold.image_occurrence.
SELECT g.image_occurrence_id FROM {{gold_table}} g
WHERE split_part(g.msftSourceRecordId, '/', 1) IN (SELECT id FROM __gold_changed)
  AND g.image_occurrence_id NOT IN (SELECT image_occurrence_id FROM __gold_image);
