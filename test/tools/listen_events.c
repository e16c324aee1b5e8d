/*-------------------------------------------------------------------------
 *
 * listen_events.c
 *	  A refund-events listener for tests: LISTEN refund_events (or another
 *	  channel) and print every notification payload on its own line.
 *
 *	  listen_events CONNINFO COUNT TIMEOUT_SECONDS [CHANNEL]
 *
 * Prints "listening" once the LISTEN is in force, then one line per
 * notification, flushed.  Exits 0 after COUNT notifications, 1 when
 * TIMEOUT_SECONDS pass first, 2 on a usage or connection error.  With
 * COUNT 0 it prints what arrives until the timeout and exits 0.
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

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
parse_number(const char *text, const char *what)
{
	char	   *end;
	long		value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 0)
	{
		fprintf(stderr, "listen_events: %s must be a non-negative integer, not \"%s\"\n",
				what, text);
		exit(2);
	}
	return value;
}

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	PGresult   *res;
	long		count;
	long		received = 0;
	double		deadline;

	if (argc != 4 && argc != 5)
	{
		fprintf(stderr, "usage: listen_events CONNINFO COUNT TIMEOUT_SECONDS [CHANNEL]\n");
		return 2;
	}
	count = parse_number(argv[2], "COUNT");
	deadline = now_seconds() + parse_number(argv[3], "TIMEOUT_SECONDS");

	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "listen_events: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 2;
	}
	{
		char	   *channel = PQescapeIdentifier(conn, argc == 5 ? argv[4] : "refund_events",
												 strlen(argc == 5 ? argv[4] : "refund_events"));
		char		command[256];

		if (channel == NULL || strlen(channel) > 200)
		{
			fprintf(stderr, "listen_events: bad channel name\n");
			return 2;
		}
		snprintf(command, sizeof(command), "LISTEN %s", channel);
		PQfreemem(channel);
		res = PQexec(conn, command);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "listen_events: LISTEN failed: %s", PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		return 2;
	}
	PQclear(res);
	printf("listening\n");
	fflush(stdout);

	for (;;)
	{
		PGnotify   *notify;
		struct pollfd pfd;
		double		left;
		int			rc;

		if (!PQconsumeInput(conn))
		{
			fprintf(stderr, "listen_events: %s", PQerrorMessage(conn));
			PQfinish(conn);
			return 2;
		}
		while ((notify = PQnotifies(conn)) != NULL)
		{
			printf("%s\n", notify->extra);
			fflush(stdout);
			PQfreemem(notify);
			received++;
			if (count > 0 && received >= count)
			{
				PQfinish(conn);
				return 0;
			}
		}

		left = deadline - now_seconds();
		if (left <= 0)
		{
			PQfinish(conn);
			if (count == 0)
				return 0;
			fprintf(stderr, "listen_events: timed out with %ld of %ld notifications\n",
					received, count);
			return 1;
		}

		pfd.fd = PQsocket(conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int) (left * 1000) + 1);
		if (rc < 0 && errno != EINTR)
		{
			perror("listen_events: poll");
			PQfinish(conn);
			return 2;
		}
	}
}
