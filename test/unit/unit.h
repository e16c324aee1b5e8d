/*-------------------------------------------------------------------------
 *
 * unit.h
 *	  A minimal assertion framework for the C unit tests of the money and
 *	  tax core, with no dependency beyond the C library.
 *
 * CHECK(cond, fmt, ...) counts one pass or one failure; a failure prints
 * the file, line, condition and the printf-style message to stderr, so the
 * message should carry the inputs needed to reproduce it.  A test binary
 * ends with `return unit_finish();`, which prints exactly one line
 * "N passed, M failed" on stdout (test/unit/Makefile and
 * test/scripts/run-tests.sh read it) and exits non-zero on any failure.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_UNIT_H
#define APPEASEMENT_UNIT_H

#include <stdio.h>

/* Beyond this many failures only the count grows: keep the log readable. */
#define UNIT_MAX_REPORTED	50

static long unit_passed;
static long unit_failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			if (++unit_failed <= UNIT_MAX_REPORTED) \
			{ \
				fprintf(stderr, "%s:%d: CHECK(%s) failed: ", \
						__FILE__, __LINE__, #cond); \
				fprintf(stderr, __VA_ARGS__); \
				fputc('\n', stderr); \
			} \
		} \
	} while (0)

static int
unit_finish(void)
{
	fflush(stderr);
	printf("%ld passed, %ld failed\n", unit_passed, unit_failed);
	fflush(stdout);
	return unit_failed == 0 ? 0 : 1;
}

#endif							/* APPEASEMENT_UNIT_H */
