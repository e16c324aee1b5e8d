/* appeasement--0.2.0--0.3.0.sql: agent limits and approvals, refunds in the CRM view, receipts, loyalty points */

\echo Use "ALTER EXTENSION appeasement UPDATE TO '0.3.0'" to load this file. \quit

/* ---- Agent limits and approvals ---- */

/* ---- Refunds as negative orders, and receipts ---- */

/* ---- Loyalty points ---- */

/* ---- Security ---- */
