-- Agent limits and approvals: a credit note beyond its agent's limits is created
-- AWAITING_APPROVAL, reserving its amounts, until another user approves or rejects it.
SELECT appeasement.set_credit_note_series('lim-web', 'LIM-', 1);
SELECT appeasement.set_credit_note_series('lim-async', 'LIMA-', 1);
SELECT appeasement.set_settlement_mode('lim-async', 'async');

CREATE FUNCTION regress.lim_order(id text, channel text, currency text, gross text) RETURNS text
LANGUAGE sql AS $$
  SELECT appeasement.register_order(jsonb_build_object(
    'order_id', id, 'sales_channel_id', channel, 'currency', currency,
    'lines', jsonb_build_array(
      jsonb_build_object('line_number', 1, 'order_item_id', 'A', 'kind', 'product', 'gross', gross,
                         'taxes', jsonb_build_array(jsonb_build_object('type', 'VAT', 'rate', '22'))),
      jsonb_build_object('line_number', 2, 'order_item_id', 'S', 'kind', 'shipping', 'gross', gross)),
    'payments', jsonb_build_array(
      jsonb_build_object('payment_id', 'GIFT', 'method', 'gift_card', 'amount', '5', 'captured', '5'),
      jsonb_build_object('payment_id', 'CARD', 'method', 'card',
                         'amount', (2 * gross::numeric - 5)::text, 'captured', (2 * gross::numeric - 5)::text))))
$$;

-- A refund, its status and the reason it waits, if it does.
CREATE FUNCTION regress.lim_refund(id text, line int, amount numeric, agent text) RETURNS text
LANGUAGE sql AS $$
  SELECT concat_ws(' ', d #>> '{refund,credit_note_number}', d #>> '{refund,status,code}',
                   d #>> '{refund,status,reason_code}',
                   jsonb_path_query_array(d, '$.refund.lines[*].payments[*].status.code')::text)
    FROM (SELECT appeasement.create_appeasement(id, line, amount, 'Goodwill', 'limits', agent) AS d) AS t
$$;

-- Bad limits: 22023, nothing written.
SELECT appeasement.set_agent_limit(' ', 'EUR', 10);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit(NULL, 'EUR', 10);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit('a', 'EUX', 10);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit('a', NULL, 10);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit('a', 'EUR', -1);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit('a', 'EUR', 10.001);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit('a', 'JPY', 10.5);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit('a', 'EUR', 10, 0);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit('a', 'EUR', 10, 100.5);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit('a', 'EUR', 10, 10.1234567);
\echo :SQLSTATE
SELECT appeasement.set_agent_limit('a', 'EUR', 10, 10, -5);
\echo :SQLSTATE
SELECT count(*) AS limits FROM appeasement.agent_limits WHERE agent = 'a';

-- Everyone: 60.00 per credit note, 50 % of a line, 100.00 a day; the lead: 1000.00.
SELECT appeasement.set_agent_limit('*', 'EUR', 60, 50, 100);
SELECT appeasement.set_agent_limit('lim-lead1', 'EUR', 1000);
SELECT agent, currency, max_amount, max_percent, daily_amount FROM appeasement.agent_limits WHERE agent IN ('*', 'lim-lead1') ORDER BY agent;

SELECT regress.lim_order('LO-1', 'lim-web', 'EUR', '100.00');
-- The per-credit-note amount: a request over 60.00 in two lines waits, reason AMOUNTLIMIT;
-- its first line is split over the gift card and the card.
SELECT concat_ws(' ', d #>> '{refund,credit_note_number}', d #>> '{refund,status,code}',
                 d #>> '{refund,status,reason_code}', d #>> '{refund,refund_reason}',
                 jsonb_path_query_array(d, '$.refund.lines[*].payments[*].status.code')::text)
  FROM (SELECT appeasement.create_appeasement('{"order_id": "LO-1", "user": "lim-agent2", "lines": [
          {"line_number": 1, "amount": "30.00", "reason": "r", "reason_description": "d"},
          {"line_number": 2, "amount": "30.01", "reason": "r", "reason_description": "d"}]}') AS d) AS t;
-- Within the limits (50 % of the line exactly): released.
SELECT regress.lim_refund('LO-1', 1, 50.00, 'lim-agent1');
-- A cent more than 50 % of the shipping line: waits, reason PERCENTLIMIT.
SELECT regress.lim_refund('LO-1', 2, 50.01, 'lim-agent1');
-- The waiting amounts are reserved: they count against every cap.
SELECT gross, refunded, refundable FROM appeasement.line_balances WHERE order_id = 'LO-1' ORDER BY line_number;
SELECT refunded, refundable FROM appeasement.order_balances WHERE order_id = 'LO-1';
SELECT credit_note_number, "user", limit_exceeded, gross FROM appeasement.awaiting_approval WHERE credit_note_number LIKE 'LIM%' ORDER BY 1;
-- Their refund.created event carries the waiting status.
SELECT credit_note_number, payload #>> '{refund,status,code}' AS status
  FROM appeasement.refund_events WHERE payload #>> '{refund,order_id}' = 'LO-1' ORDER BY event_id;

-- The day totals: agent1 has 50.00 + 50.01 today, over 100.00: anything more waits.
SELECT agent, currency, total FROM appeasement.agent_day_totals WHERE agent LIKE 'lim-%' ORDER BY agent;
SELECT regress.lim_order('LO-2', 'lim-web', 'EUR', '100.00');
-- A preview shows the wait and adds nothing to the day.
SELECT (appeasement.preview_appeasement('{"order_id": "LO-2", "user": "lim-agent1", "lines": [
          {"line_number": 1, "amount": "0.01", "reason": "r", "reason_description": "d"}]}') #> '{refund,status}') - 'date' AS preview;
SELECT agent, total FROM appeasement.agent_day_totals WHERE agent = 'lim-agent1';
SELECT regress.lim_refund('LO-2', 1, 0.01, 'lim-agent1');
SELECT agent, total FROM appeasement.agent_day_totals WHERE agent = 'lim-agent1';

-- Approval by the agent who created it, or by a user whose limits do not cover it: 42501.
SELECT regress.save();
SELECT appeasement.approve_credit_note('LIM-3', 'lim-agent1');
\echo :SQLSTATE
SELECT appeasement.approve_credit_note('LIM-3', 'lim-agent2');
\echo :SQLSTATE
SELECT appeasement.approve_credit_note('LIM-1', 'lim-agent3');
\echo :SQLSTATE
SELECT regress.unchanged();
-- Bad arguments: 22023; an unknown credit note: P0002; one that does not wait: 55000.
SELECT appeasement.approve_credit_note('LIM-2', NULL);
\echo :SQLSTATE
SELECT appeasement.approve_credit_note('LIM-2', '  ');
\echo :SQLSTATE
SELECT appeasement.approve_credit_note(NULL, 'lim-lead1');
\echo :SQLSTATE
SELECT appeasement.reject_credit_note('LIM-2', 'lim-lead1', ' ');
\echo :SQLSTATE
SELECT appeasement.reject_credit_note('LIM-2', 'lim-lead1', NULL);
\echo :SQLSTATE
SELECT appeasement.approve_credit_note('NO-SUCH-NOTE', 'lim-lead1');
\echo :SQLSTATE
SELECT appeasement.approve_credit_note('LIM-2', 'lim-lead1');
\echo :SQLSTATE
SELECT appeasement.reject_credit_note('LIM-2', 'lim-lead1', 'no');
\echo :SQLSTATE
-- A provider's answer for a credit note awaiting approval: 55000.
SELECT appeasement.record_refund_result('LIM-3', 'CARD', true);
\echo :SQLSTATE
SELECT regress.unchanged();

-- The lead approves LIM-3 (immediate channel): RELEASED, payments REFUNDED.
SELECT (d #> '{refund,status}') - 'date' AS status, d #>> '{refund,refund_reason}' AS refund_reason,
       jsonb_path_query_array(d, '$.refund.lines[*].payments[*].status.code') AS payments
  FROM (SELECT appeasement.approve_credit_note('LIM-3', 'lim-lead1') AS d) AS t;
SELECT appeasement.approve_credit_note('LIM-3', 'lim-lead1');
\echo :SQLSTATE
SELECT from_status, to_status, changed_by, reason FROM appeasement.credit_note_status_history
 WHERE credit_note_number = 'LIM-3';
SELECT event_type, payload #>> '{refund,status,code}' AS status
  FROM appeasement.refund_events WHERE credit_note_number = 'LIM-3' ORDER BY event_id;

-- The lead rejects LIM-1 (two lines, the first split over both payments):
-- REJECTED, payments CANCELLED, every reserved amount back, exactly.
SELECT line_number, payment_id, gross, tax_amounts, status FROM appeasement.credit_note_allocations
 WHERE credit_note_number = 'LIM-1' ORDER BY line_number, payment_id;
SELECT (d #> '{refund,status}') - 'date' AS status,
       jsonb_path_query_array(d, '$.refund.lines[*].payments[*].status.code') AS payments
  FROM (SELECT appeasement.reject_credit_note('LIM-1', 'lim-lead1', 'not justified') AS d) AS t;
SELECT gross, refunded, refundable FROM appeasement.line_balances WHERE order_id = 'LO-1' ORDER BY line_number;
SELECT line_number, refunded, tax_refunded FROM appeasement.order_lines WHERE order_id = 'LO-1' ORDER BY line_number;
SELECT payment_id, captured, refunded FROM appeasement.payments WHERE order_id = 'LO-1' ORDER BY position;
SELECT refunded, refundable FROM appeasement.order_balances WHERE order_id = 'LO-1';
SELECT from_status, to_status, changed_by, reason FROM appeasement.credit_note_status_history
 WHERE credit_note_number = 'LIM-1';
SELECT line_number, payment_id, gross, tax_amounts FROM appeasement.credit_note_compensations
 WHERE credit_note_number = 'LIM-1' ORDER BY line_number, payment_id;
SELECT appeasement.approve_credit_note('LIM-1', 'lim-lead1');
\echo :SQLSTATE
SELECT appeasement.reject_credit_note('LIM-1', 'lim-lead1', 'again');
\echo :SQLSTATE
-- A rejected credit note leaves its agent's day total (agent2: 60.01 in, 60.01 out).
SELECT agent, total FROM appeasement.agent_day_totals WHERE agent LIKE 'lim-%' ORDER BY agent;
SELECT credit_note_number FROM appeasement.awaiting_approval WHERE credit_note_number LIKE 'LIM%' ORDER BY 1;

-- In an async channel an approved credit note waits for the provider.
SELECT regress.lim_order('LOA-1', 'lim-async', 'EUR', '100.00');
SELECT regress.lim_refund('LOA-1', 1, 60.00, 'lim-agent4');
SELECT (d #> '{refund,status}') - 'date' AS status,
       jsonb_path_query_array(d, '$.refund.lines[*].payments[*].status.code') AS payments
  FROM (SELECT appeasement.approve_credit_note('LIMA-1', 'lim-lead1') AS d) AS t;
SELECT appeasement.record_refund_result('LIMA-1', 'GIFT', true) #>> '{refund,status,code}' AS status;
SELECT appeasement.record_refund_result('LIMA-1', 'CARD', false, NULL, 'declined') #>> '{refund,status,code}' AS status;
-- The failed 55.00 leave agent4's day total too.
SELECT agent, total FROM appeasement.agent_day_totals WHERE agent = 'lim-agent4';
SELECT from_status, to_status, changed_by FROM appeasement.credit_note_status_history
 WHERE credit_note_number = 'LIMA-1' ORDER BY changed_at;

-- An agent's own row replaces '*': null limits are no limits.
SELECT appeasement.set_agent_limit('lim-senior', 'EUR', NULL);
SELECT regress.lim_order('LO-4', 'lim-web', 'EUR', '100.00');
SELECT regress.lim_refund('LO-4', 1, 100.00, 'lim-senior');
-- Limits are per currency: '*' has none in JPY; a JPY limit counts whole yen.
SELECT regress.lim_order('LOJ-1', 'lim-web', 'JPY', '10000');
SELECT regress.lim_refund('LOJ-1', 1, 9000, 'lim-agent1');
SELECT appeasement.set_agent_limit('*', 'JPY', 1000);
SELECT regress.lim_refund('LOJ-1', 1, 1000, 'lim-agent1');
SELECT regress.lim_refund('LOJ-1', 2, 1001, 'lim-agent1');
-- A KWD limit has three decimals.
SELECT appeasement.set_agent_limit('*', 'KWD', 10.005);
SELECT regress.lim_order('LOK-1', 'lim-web', 'KWD', '100.000');
SELECT regress.lim_refund('LOK-1', 1, 10.005, 'lim-agent1');
SELECT regress.lim_refund('LOK-1', 1, 10.006, 'lim-agent1');
SELECT currency, max_amount FROM appeasement.agent_limits WHERE agent = '*' ORDER BY currency;

-- A daily limit set during the day counts what the agent created earlier that day.
SELECT appeasement.set_agent_limit('*', 'JPY', 100000, NULL, 10000);
SELECT agent, currency, total FROM appeasement.agent_day_totals WHERE currency = 'JPY' AND agent LIKE 'lim-%';
SELECT regress.lim_refund('LOJ-1', 2, 1, 'lim-agent1');

-- Return refunds count against the same limits (here: a whole line of 100.00, above 60.00).
SELECT regress.lim_order('LO-5', 'lim-web', 'EUR', '100.00');
SELECT concat_ws(' ', d #>> '{refund,credit_note_number}', d #>> '{refund,refund_type}',
                 d #>> '{refund,status,code}', d #>> '{refund,status,reason_code}')
  FROM (SELECT appeasement.create_return_refund('{"order_id": "LO-5", "user": "lim-agent5", "rma": "RMA-L",
          "lines": [{"line_number": 1, "quantity": 1, "reason": "r", "reason_description": "d"}]}') AS d) AS t;

-- Limits of '*' set to none: everyone without a row of their own is unlimited again.
SELECT appeasement.set_agent_limit('*', c, NULL) FROM (VALUES ('EUR'), ('JPY'), ('KWD')) AS v(c);
SELECT count(*) AS limited FROM appeasement.agent_limits
 WHERE agent = '*' AND (max_amount IS NOT NULL OR max_percent IS NOT NULL OR daily_amount IS NOT NULL);
