-- The upgrade chain: 0.1.0 updated to the current version gives what a fresh installation gives.
SET client_min_messages = warning;
DROP EXTENSION appeasement CASCADE;
CREATE EXTENSION appeasement VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'appeasement';
CREATE TEMP TABLE updated AS
SELECT pg_describe_object(classid, objid, objsubid) AS object
  FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'appeasement') AND deptype = 'e';
ALTER EXTENSION appeasement UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'appeasement';
DELETE FROM updated;
INSERT INTO updated
SELECT pg_describe_object(classid, objid, objsubid)
  FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'appeasement') AND deptype = 'e';

DROP EXTENSION appeasement;
CREATE EXTENSION appeasement;
SELECT extversion FROM pg_extension WHERE extname = 'appeasement';
CREATE TEMP TABLE fresh AS
SELECT pg_describe_object(classid, objid, objsubid) AS object
  FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'appeasement') AND deptype = 'e';

-- The same objects either way.
(SELECT object FROM updated EXCEPT SELECT object FROM fresh)
UNION ALL
(SELECT object FROM fresh EXCEPT SELECT object FROM updated);
SELECT count(*) AS objects FROM fresh;

-- The updated extension works.
SELECT appeasement.register_order('{
  "order_id": "UPG-1", "sales_channel_id": "web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "10.00"}],
  "payments": [{"payment_id": "P1", "amount": "10.00", "captured": "10.00"}]}');
SELECT appeasement.create_appeasement('{"order_id": "UPG-1", "user": "u", "idempotency_key": "k",
  "lines": [{"line_number": 1, "amount": "1.00", "reason": "r", "reason_description": "d"}]}')
  #>> '{refund,lines,0,payments,0,details,cost_gross}' AS refunded;
