-- Security: jobs get exactly their functions, nothing is open to PUBLIC, the refund history
-- is append-only, and objects in the caller's schemas cannot stand in for the extension's.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_agent, regress_lead, regress_integration, regress_reader, regress_nobody;
RESET client_min_messages;
CREATE ROLE regress_agent;
CREATE ROLE regress_lead;
CREATE ROLE regress_integration;
CREATE ROLE regress_reader;
CREATE ROLE regress_nobody;
SELECT appeasement.grant_agent('regress_agent');
SELECT appeasement.grant_lead('regress_lead');
SELECT appeasement.grant_integration('regress_integration');
SELECT appeasement.grant_reader('regress_reader');

-- Exactly the functions of each job.
SELECT r.rolname, string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text) AS functions
  FROM pg_proc p, pg_roles r
 WHERE p.pronamespace = 'appeasement'::regnamespace AND r.rolname LIKE 'regress\_%'
   AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
 GROUP BY 1 ORDER BY 1;
SELECT r.rolname, string_agg(c.relname, ', ' ORDER BY c.relname) AS readable
  FROM pg_class c, pg_roles r
 WHERE c.relnamespace = 'appeasement'::regnamespace AND c.relkind IN ('r', 'v') AND r.rolname LIKE 'regress\_%'
   AND has_table_privilege(r.oid, c.oid, 'SELECT')
 GROUP BY 1 ORDER BY 1;
SELECT count(*) AS security_definer_without_pinned_path
  FROM pg_proc p
 WHERE p.pronamespace = 'appeasement'::regnamespace AND p.prosecdef
   AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false);

-- The integration registers an order and its capture.
SET ROLE regress_integration;
SELECT appeasement.register_order('{
  "order_id": "SEC-1", "sales_channel_id": "web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "40.00",
             "taxes": [{"type": "VAT", "rate": "20"}]}],
  "payments": [{"payment_id": "P1", "method": "card", "amount": "40.00"}]}');
SELECT appeasement.record_capture('SEC-1', 'P1', 40.00);
SELECT appeasement.create_appeasement('SEC-1', 1, 1, 'r', 'd', 'integration');
\echo :SQLSTATE
RESET ROLE;

-- The agent appeases, but reads and writes no table directly.
SET ROLE regress_agent;
SELECT appeasement.create_appeasement('SEC-1', 1, 5.00, 'Late', 'Late delivery', 'regress_agent')
  #>> '{refund,lines,0,payments,0,details,cost_gross}' AS refunded;
SELECT appeasement.register_order('{"order_id": "SEC-2", "sales_channel_id": "web", "currency": "EUR", "lines": []}');
\echo :SQLSTATE
SELECT count(*) FROM appeasement.orders;
\echo :SQLSTATE
UPDATE appeasement.order_lines SET refunded = 0;
\echo :SQLSTATE
SELECT appeasement.set_reason('X', 'agents do not set reasons');
\echo :SQLSTATE
RESET ROLE;

-- The lead manages reasons; the reader reads the views and nothing else.
SET ROLE regress_lead;
SELECT appeasement.set_reason('SEC', 'Security test');
RESET ROLE;
SET ROLE regress_reader;
SELECT order_id, captured, refunded, refundable FROM appeasement.order_balances WHERE order_id = 'SEC-1';
SELECT gross, net, vat FROM appeasement.credit_notes WHERE order_id = 'SEC-1';
SELECT count(*) FROM appeasement.issued_credit_notes;
\echo :SQLSTATE
SELECT appeasement.preview_appeasement('{"order_id": "SEC-1", "user": "u", "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
RESET ROLE;

-- Limits, approvals and loyalty as real roles: the lead sets a limit and approves, the
-- agent cannot approve, the integration imports a receipt and may redeem points but not
-- configure the programme, the reader reads the CRM views and the loyalty balance.
SET ROLE regress_lead;
SELECT appeasement.set_agent_limit('regress_agent', 'EUR', 1);
SELECT appeasement.set_agent_limit('regress_lead', 'EUR', 100);
RESET ROLE;
SET ROLE regress_agent;
SELECT appeasement.create_appeasement('SEC-1', 1, 2.00, 'Late', 'Over the limit', 'regress_agent')
  #>> '{refund,credit_note_number}' AS number \gset
SELECT appeasement.approve_credit_note(:'number', 'regress_lead');
\echo :SQLSTATE
RESET ROLE;
SET ROLE regress_lead;
SELECT appeasement.approve_credit_note(:'number', 'regress_lead') #>> '{refund,status,code}' AS status;
SELECT appeasement.set_agent_limit('regress_agent', 'EUR', NULL);
RESET ROLE;
SET ROLE regress_integration;
SELECT appeasement.import_receipt('{"receipt_id": "SEC-R1", "customer_id": "SEC-C", "issued_at": "2026-01-01T10:00:00Z",
  "currency": "EUR", "lines": [{"sku": "X", "quantity": 1, "total_line_amount": "15.00"}]}');
-- (the loyalty programme is not configured here: no points to redeem)
SELECT appeasement.redeem_points('SEC-C', 5, 'sec-voucher');
\echo :SQLSTATE
SELECT appeasement.configure_loyalty(30);
\echo :SQLSTATE
RESET ROLE;
SET ROLE regress_reader;
SELECT receipt_id, total, status FROM appeasement.receipts WHERE receipt_id = 'SEC-R1';
SELECT count(*) > 0 AS has_sales FROM appeasement.sales WHERE order_id = 'SEC-1';
SELECT available, spent FROM appeasement.loyalty_balance('SEC-C');
SELECT appeasement.redeem_points('SEC-C', 1, 'reader');
\echo :SQLSTATE
RESET ROLE;

-- A role without a job can do nothing.
SET ROLE regress_nobody;
SELECT appeasement.create_appeasement('SEC-1', 1, 1, 'r', 'd', 'nobody');
\echo :SQLSTATE
SELECT appeasement.refund_events_after(0);
\echo :SQLSTATE
RESET ROLE;

-- The refund history is append-only, for a superuser too.
SELECT regress.save();
UPDATE appeasement.issued_credit_notes SET gross = 1;
\echo :SQLSTATE
DELETE FROM appeasement.issued_credit_note_lines;
\echo :SQLSTATE
DELETE FROM appeasement.credit_note_allocations WHERE order_id = 'SEC-1';
\echo :SQLSTATE
TRUNCATE appeasement.refund_events;
\echo :SQLSTATE
SELECT regress.unchanged();

-- Hostile objects named like internal ones, first in the caller's search_path, change nothing.
CREATE SCHEMA regress_hostile;
GRANT USAGE ON SCHEMA regress_hostile TO regress_agent;
CREATE TABLE regress_hostile.orders (order_id text, sales_channel_id text, captured bigint, refunded bigint);
INSERT INTO regress_hostile.orders VALUES ('SEC-1', 'web', 999999, 0);
CREATE FUNCTION regress_hostile.to_amount(bigint, text) RETURNS numeric LANGUAGE sql AS 'SELECT 666';
CREATE FUNCTION regress_hostile.hostile_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'hostile operator used'; END $$;
CREATE OPERATOR regress_hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_hostile.hostile_eq);
GRANT EXECUTE ON FUNCTION regress_hostile.hostile_eq(text, text), regress_hostile.to_amount(bigint, text) TO PUBLIC;
SET ROLE regress_agent;
SET search_path = regress_hostile, pg_catalog, public;
SELECT 'a' = 'a';
\echo :SQLSTATE
SELECT appeasement.create_appeasement('SEC-1', 1, 2.00, 'Late', 'Through a hostile path', 'regress_agent')
  #>> '{refund,lines,0,payments,0,details,cost_gross}' AS refunded;
SELECT appeasement.create_appeasement('{"order_id": "SEC-1", "user": "regress_agent", "lines": [
  {"line_number": 1, "amount": "1.00", "reason": "r", "reason_description": "d"}]}')
  #>> '{refund,order_id}' AS order_id;
RESET search_path;
RESET ROLE;
SELECT order_id, captured, refunded FROM appeasement.order_balances WHERE order_id = 'SEC-1';

DROP SCHEMA regress_hostile CASCADE;
DROP OWNED BY regress_agent, regress_lead, regress_integration, regress_reader, regress_nobody;
DROP ROLE regress_agent, regress_lead, regress_integration, regress_reader, regress_nobody;
