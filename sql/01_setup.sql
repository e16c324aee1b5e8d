-- Installing the extension, and the helpers the other tests use.
CREATE EXTENSION appeasement;

SELECT extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'appeasement';

-- Every object of the extension has a comment.
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS undocumented
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'appeasement')
   AND d.deptype = 'e'
   AND obj_description(d.objid, (SELECT relname FROM pg_class WHERE oid = d.classid)) IS NULL
 ORDER BY 1;

-- Nothing is granted to PUBLIC.
SELECT count(*) AS public_grants
  FROM information_schema.role_table_grants
 WHERE table_schema = 'appeasement' AND grantee = 'PUBLIC';
SELECT count(*) AS public_routines
  FROM pg_proc p
 WHERE p.pronamespace = 'appeasement'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE');

/*
 * Test helpers: a footprint of everything the extension stores, so an
 * error case can show that it wrote nothing.
 */
CREATE SCHEMA regress;
CREATE TABLE regress.saved_footprint (footprint text);

CREATE FUNCTION regress.footprint() RETURNS text LANGUAGE sql AS $$
  SELECT concat_ws(' ',
    (SELECT count(*) || '/' || coalesce(sum(captured), 0) || '/' || coalesce(sum(refunded), 0) FROM appeasement.orders),
    (SELECT count(*) || '/' || coalesce(sum(refunded), 0) || '/' || coalesce(string_agg(tax_refunded::text, ',' ORDER BY order_id, line_number), '') FROM appeasement.order_lines),
    (SELECT count(*) || '/' || coalesce(sum(captured), 0) || '/' || coalesce(sum(refunded), 0) FROM appeasement.payments),
    (SELECT count(*) FROM appeasement.captures),
    (SELECT count(*) FROM appeasement.credit_note_series),
    (SELECT count(*) FROM appeasement.issued_credit_notes),
    (SELECT count(*) FROM appeasement.issued_credit_note_lines),
    (SELECT count(*) FROM appeasement.credit_note_allocations),
    (SELECT count(*) FROM appeasement.refund_events))
$$;

-- Remember the footprint now ...
CREATE FUNCTION regress.save() RETURNS void LANGUAGE sql AS $$
  DELETE FROM regress.saved_footprint;
  INSERT INTO regress.saved_footprint SELECT regress.footprint();
$$;

-- ... and, after an error, show that it did not change.
CREATE FUNCTION regress.unchanged() RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN regress.footprint() = (SELECT footprint FROM regress.saved_footprint)
              THEN 'nothing written' ELSE 'CHANGED: ' || regress.footprint() END
$$;

-- A refund document with its creation dates masked, for stable output.
CREATE FUNCTION regress.masked(doc jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_set(jsonb_set(doc, '{refund,credit_note_date}', '"(now)"'),
                   '{refund,status,date}', '"(now)"')
$$;

-- True when a document's dates are its credit note's creation time, today, in UTC, as the SPEC writes them.
CREATE FUNCTION regress.dated_now(doc jsonb) RETURNS boolean LANGUAGE sql AS $$
  SELECT doc #>> '{refund,credit_note_date}' = to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
     AND doc #>> '{refund,status,date}' = doc #>> '{refund,credit_note_date}'
     AND c.created_at > now() - interval '1 hour'
    FROM appeasement.issued_credit_notes c
   WHERE c.credit_note_number = doc #>> '{refund,credit_note_number}'
$$;
