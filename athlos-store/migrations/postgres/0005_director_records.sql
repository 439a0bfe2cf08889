-- Earlier servers kept who directs a competition or tournament, and a tournament's
-- self_reporting and auto_advance, as never-due `director_record` jobs keyed
-- `athlos.director:{kind}:{id}`; the aggregates carry these fields now. Each record's fields
-- (its director when a string; a tournament's two flags, true only when the record has them
-- true) go into its aggregate's document, the version unchanged (nothing of the aggregate
-- changed), or, when the aggregate was deleted, become its tombstone (kind `deleted_{kind}`,
-- an existing one kept), so the id stays reserved to its director. Then the records go,
-- those of other keys too.
CREATE TEMP TABLE director_records AS
    SELECT kind, id,
           CASE WHEN jsonb_typeof(payload -> 'director') = 'string'
                THEN jsonb_build_object('director', payload -> 'director')
                ELSE '{}' END
           || CASE WHEN kind = 'tournament' THEN jsonb_build_object(
                  'self_reporting', COALESCE((payload -> 'self_reporting') = 'true', FALSE),
                  'auto_advance', COALESCE((payload -> 'auto_advance') = 'true', FALSE))
                   ELSE '{}' END AS fields
    FROM (SELECT split_part(rest, ':', 1) AS kind, substr(rest, strpos(rest, ':') + 1) AS id,
                 payload
          FROM (SELECT substr(idempotency_key, 17) AS rest, payload FROM athlos_jobs
                WHERE kind = 'director_record'
                  AND left(idempotency_key, 16) = 'athlos.director:') AS keyed
          WHERE strpos(rest, ':') > 0) AS records
    WHERE kind IN ('competition', 'tournament');

UPDATE athlos_aggregates AS a SET document = a.document || r.fields
    FROM director_records AS r
    WHERE a.kind = r.kind AND a.id = r.id;

INSERT INTO athlos_aggregates (kind, id, version, state, document)
    SELECT 'deleted_' || r.kind, r.id, 0, NULL, r.fields FROM director_records AS r
    WHERE NOT EXISTS (SELECT 1 FROM athlos_aggregates AS a WHERE a.kind = r.kind AND a.id = r.id)
    ON CONFLICT (kind, id) DO NOTHING;

DELETE FROM athlos_jobs WHERE kind = 'director_record';
DROP TABLE director_records;
