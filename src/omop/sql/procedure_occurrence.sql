-- OMOP CDM 5.4 procedure_occurrence (docs/omop.md): one row per study whose person is in gold.
-- Inputs: __gold_study, {{gold_person}} (gold.person as it is now).

-- step: study_person
CREATE OR REPLACE TEMP TABLE __gold_study_person AS
SELECT s.id, p.person_id
FROM __gold_study s JOIN {{gold_person}} p ON p.person_source_value = s.person_source;

-- step: athena_concepts
-- With an Athena vocabulary: the standard concept of the study's first SNOMED or LOINC code.
CREATE OR REPLACE TEMP TABLE __gold_proc_concept AS
SELECT s.id,
       coalesce(min(CASE WHEN c.standard_concept = 'S' THEN c.concept_id END),
                min(t.concept_id)) AS concept_id
FROM __gold_study s, unnest(s.procedureCode) AS pc(code), unnest(pc.code.coding) AS cd(coding)
JOIN __athena_concept c
  ON c.concept_code = cd.coding.code
 AND c.vocabulary_id = CASE cd.coding.system WHEN 'http://snomed.info/sct' THEN 'SNOMED'
                                             WHEN 'http://loinc.org' THEN 'LOINC' END
LEFT JOIN __athena_relationship r
  ON r.concept_id_1 = c.concept_id AND r.relationship_id = 'Maps to'
LEFT JOIN __athena_concept t ON t.concept_id = r.concept_id_2 AND t.standard_concept = 'S'
GROUP BY s.id;

-- step: dated
-- procedure_date: the study's date, else its earliest series date.
CREATE OR REPLACE TEMP TABLE __gold_procedure_src AS
SELECT s.*, sp.person_id,
       coalesce(TRY_CAST(left(s.started, 10) AS DATE),
                (SELECT min(TRY_CAST(left(x.started, 10) AS DATE)) FROM unnest(s.series) AS u(x)))
         AS procedure_date
FROM __gold_study s JOIN __gold_study_person sp USING (id);

-- step: skipped
SELECT s.id, 'study without a person in gold (see the person events) is left out'
FROM __gold_study s WHERE s.id NOT IN (SELECT id FROM __gold_study_person)
UNION ALL
SELECT id, 'study without a full date (StudyDate or SeriesDate): OMOP requires ' ||
           'procedure_date, so it is left out'
FROM __gold_procedure_src WHERE procedure_date IS NULL;

-- step: ids
SELECT id FROM __gold_procedure_src WHERE procedure_date IS NOT NULL;

-- step: rows
-- Ids from __gold_procedure_ids (source_id, omop_id); {{procedure_concept}} is 0 or the Athena
-- lookup; {{type_concept}} is 32817 "EHR", as the OHDSI imaging reference ETLs use.
CREATE OR REPLACE TEMP TABLE __gold_procedure AS
SELECT i.omop_id AS procedure_occurrence_id, s.person_id,
       {{procedure_concept}} AS procedure_concept_id, s.procedure_date,
       CASE WHEN s.started LIKE '%T%' THEN TRY_CAST(s.started AS TIMESTAMPTZ) END
         AS procedure_datetime,
       NULL::DATE AS procedure_end_date, NULL::TIMESTAMPTZ AS procedure_end_datetime,
       {{type_concept}} AS procedure_type_concept_id, NULL::INTEGER AS modifier_concept_id,
       NULL::INTEGER AS quantity, NULL::INTEGER AS provider_id,
       NULL::INTEGER AS visit_occurrence_id, NULL::INTEGER AS visit_detail_id,
       left(coalesce(s.procedureCode[1].coding[1].code, s.procedureCode[1].text, s.description),
            50) AS procedure_source_value,
       0 AS procedure_source_concept_id, NULL::VARCHAR AS modifier_source_value,
       s.id AS msftSourceRecordId, 'ImagingStudy' AS msftSourceTableName,
       {{now}} AS msftModifiedDatetime
FROM __gold_procedure_src s JOIN __gold_procedure_ids i ON i.source_id = s.id;

-- step: stale
-- The rows of changed studies that the mapping no longer gives (every instance deleted, or the
-- study left out now): deleted from gold. {{gold_table}} is gold.procedure_occurrence.
SELECT g.procedure_occurrence_id FROM {{gold_table}} g
WHERE g.msftSourceRecordId IN (SELECT id FROM __gold_changed)
  AND g.procedure_occurrence_id NOT IN (SELECT procedure_occurrence_id FROM __gold_procedure);
