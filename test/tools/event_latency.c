/*-------------------------------------------------------------------------
 *
 * event_latency.c
 *	  Measures how long a refund event takes to reach a listener after the
 *	  refund transaction commits.
 *
 *	  event_latency CONNINFO CALLS ORDERS
 *
 * One connection LISTENs on refund_events; the other calls, CALLS times,
 *	  SELECT appeasement.create_appeasement('BENCH-' || k, 1, 0.01,
 *											'bench', 'latency', 'bench')
 * with k cycling over 1..ORDERS (the orders BENCH-1..BENCH-ORDERS must
 * exist, line 1 with enough refundable balance).  Each call commits on
 * its own (autocommit); the clock starts when it returns and stops when
 * the notification carrying its credit note number arrives.  Prints
 *	  event latency: n=N p50=X.XX ms p99=Y.YY ms max=Z.ZZ ms
 * and exits 0; exits 1 when an event takes more than 5 s or a call fails.
 *
 * libpq only.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libpq-fe.h"

#define EVENT_WAIT_SECONDS 5

static double
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static long
parse_count(const char *text, const char *what)
{
	char	   *end;
	long		value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 1)
	{
		fprintf(stderr, "event_latency: %s must be a positive integer, not \"%s\"\n",
				what, text);
		exit(2);
	}
	return value;
}

static PGconn *
connect_or_die(const char *conninfo)
{
	PGconn	   *conn = PQconnectdb(conninfo);

	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "event_latency: %s", PQerrorMessage(conn));
		exit(2);
	}
	return conn;
}

/*
 * The "credit_note_number": "..." member of a refund document, as the text
 * to look for in payloads (both the full and the truncated form carry it).
 */
static char *
credit_note_key(const char *document)
{
	static const char key[] = "\"credit_note_number\": \"";
	const char *start = strstr(document, key);
	const char *end;
	char	   *result;

	if (start == NULL)
		return NULL;
	end = strchr(start + strlen(key), '"');
	if (end == NULL)
		return NULL;
	result = malloc(end - start + 2);
	if (result == NULL)
		return NULL;
	memcpy(result, start, end - start + 1);
	result[end - start + 1] = '\0';
	return result;
}

static int
compare_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* value at quantile q of sorted[0..n-1], nearest rank */
static double
quantile(const double *sorted, long n, double q)
{
	long		rank = (long) (q * n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

int
main(int argc, char **argv)
{
	PGconn	   *listener;
	PGconn	   *caller;
	PGresult   *res;
	long		calls;
	long		orders;
	double	   *latency;

	if (argc != 4)
	{
		fprintf(stderr, "usage: event_latency CONNINFO CALLS ORDERS\n");
		return 2;
	}
	calls = parse_count(argv[2], "CALLS");
	orders = parse_count(argv[3], "ORDERS");
	latency = calloc(calls, sizeof(double));
	if (latency == NULL)
	{
		fprintf(stderr, "event_latency: out of memory\n");
		return 2;
	}

	listener = connect_or_die(argv[1]);
	caller = connect_or_die(argv[1]);

	res = PQexec(listener, "LISTEN refund_events");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "event_latency: LISTEN failed: %s", PQerrorMessage(listener));
		return 2;
	}
	PQclear(res);

	for (long i = 0; i < calls; i++)
	{
		char		order[32];
		const char *params[1];
		char	   *key;
		double		committed;
		double		deadline;
		int			found = 0;

		snprintf(order, sizeof(order), "%ld", i % orders + 1);
		params[0] = order;
		res = PQexecParams(caller,
						   "SELECT appeasement.create_appeasement('BENCH-' || $1::pg_catalog.int4,"
						   " 1, 0.01, 'bench', 'latency', 'bench')::pg_catalog.text",
						   1, NULL, params, NULL, NULL, 0);
		committed = now_usec();
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		{
			fprintf(stderr, "event_latency: call %ld failed: %s", i + 1,
					PQerrorMessage(caller));
			return 1;
		}
		key = credit_note_key(PQgetvalue(res, 0, 0));
		PQclear(res);
		if (key == NULL)
		{
			fprintf(stderr, "event_latency: no credit_note_number in the result of call %ld\n",
					i + 1);
			return 1;
		}

		deadline = committed + EVENT_WAIT_SECONDS * 1e6;
		while (!found)
		{
			PGnotify   *notify;
			struct pollfd pfd;
			double		left;

			if (!PQconsumeInput(listener))
			{
				fprintf(stderr, "event_latency: %s", PQerrorMessage(listener));
				return 1;
			}
			while ((notify = PQnotifies(listener)) != NULL)
			{
				if (strstr(notify->extra, key) != NULL)
				{
					latency[i] = now_usec() - committed;
					found = 1;
				}
				PQfreemem(notify);
			}
			if (found)
				break;

			left = deadline - now_usec();
			if (left <= 0)
			{
				fprintf(stderr, "event_latency: no notification for %s after %d s (call %ld)\n",
						key, EVENT_WAIT_SECONDS, i + 1);
				return 1;
			}
			pfd.fd = PQsocket(listener);
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (poll(&pfd, 1, (int) (left / 1000) + 1) < 0 && errno != EINTR)
			{
				perror("event_latency: poll");
				return 1;
			}
		}
		free(key);
	}

	qsort(latency, calls, sizeof(double), compare_double);
	printf("event latency: n=%ld p50=%.2f ms p99=%.2f ms max=%.2f ms\n",
		   calls,
		   quantile(latency, calls, 0.50) / 1000.0,
		   quantile(latency, calls, 0.99) / 1000.0,
		   latency[calls - 1] / 1000.0);

	PQfinish(caller);
	PQfinish(listener);
	free(latency);
	return 0;
}
