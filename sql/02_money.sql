-- Currencies and amounts: ISO 4217 exponents, exact conversion, no rounding on input.
SELECT currency, appeasement.currency_exponent(currency)
  FROM unnest(ARRAY['EUR', 'USD', 'JPY', 'KRW', 'KWD', 'BHD', 'JOD', 'OMR', 'TND', 'CLF']) AS currency;

SELECT count(*) > 150 AS many_currencies,
       count(*) FILTER (WHERE exponent = 0) AS zero_decimals,
       count(*) FILTER (WHERE exponent = 3) AS three_decimals
  FROM appeasement.currencies();

SELECT appeasement.to_amount(4871, 'USD'), appeasement.to_amount(1200, 'JPY'),
       appeasement.to_amount(12500, 'KWD'), appeasement.to_amount(-5, 'EUR'),
       appeasement.to_amount(0, 'BHD');

SELECT appeasement.to_minor(48.71, 'USD'), appeasement.to_minor(1200, 'JPY'),
       appeasement.to_minor(12.5, 'KWD'), appeasement.to_minor(0.1, 'EUR');

-- Errors: unknown currency, more decimals than the currency has.
SELECT appeasement.currency_exponent('usd');
\echo :SQLSTATE
SELECT appeasement.currency_exponent('XXX');
\echo :SQLSTATE
SELECT appeasement.to_minor(48.711, 'USD');
\echo :SQLSTATE
SELECT appeasement.to_minor(1200.5, 'JPY');
\echo :SQLSTATE
SELECT appeasement.to_minor(1e20, 'USD');
\echo :SQLSTATE
SELECT appeasement.to_minor('NaN', 'USD');
\echo :SQLSTATE
