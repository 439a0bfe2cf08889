-- Earlier servers kept who directs a competition or tournament, and a tournament's
-- self_reporting and auto_advance, as never-due `director_record` jobs keyed
-- `athlos.director:{kind}:{id}`; the aggregates carry these fields now. Each record's fields
-- (its director when a string; a tournament's two flags, true only when the record has them
-- true) go into its aggregate's document, the version unchanged (nothing of the aggregate
-- changed), or, when the aggregate was deleted, become its tombstone (kind `deleted_{kind}`,
-- an existing one kept), so the id stays reserved to its director. Then the records go,
-- those of other keys too.
CREATE TEMP TABLE director_records AS
    SELECT kind, id, json_patch(
               CASE WHEN json_type(payload, '$.director') = 'text'
                    THEN json_object('director', json_extract(payload, '$.director'))
                    ELSE '{}' END,
               CASE WHEN kind = 'tournament' THEN json_object(
                   'self_reporting', json(CASE json_type(payload, '$.self_reporting')
                                          WHEN 'true' THEN 'true' ELSE 'false' END),
                   'auto_advance', json(CASE json_type(payload, '$.auto_advance')
                                        WHEN 'true' THEN 'true' ELSE 'false' END))
                    ELSE '{}' END) AS fields
    FROM (SELECT substr(rest, 1, instr(rest, ':') - 1) AS kind,
                 substr(rest, instr(rest, ':') + 1) AS id, payload
          FROM (SELECT substr(idempotency_key, 17) AS rest, payload FROM athlos_jobs
                WHERE kind = 'director_record'
                  AND substr(idempotency_key, 1, 16) = 'athlos.director:'))
    WHERE kind IN ('competition', 'tournament');

UPDATE athlos_aggregates SET document = json_patch(document, r.fields)
    FROM director_records AS r
    WHERE athlos_aggregates.kind = r.kind AND athlos_aggregates.id = r.id;

INSERT INTO athlos_aggregates (kind, id, version, state, document)
    SELECT 'deleted_' || r.kind, r.id, 0, NULL, r.fields FROM director_records AS r
    WHERE NOT EXISTS (SELECT 1 FROM athlos_aggregates AS a WHERE a.kind = r.kind AND a.id = r.id)
    ON CONFLICT (kind, id) DO NOTHING;

DELETE FROM athlos_jobs WHERE kind = 'director_record';
DROP TABLE director_records;
