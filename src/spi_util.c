/*-------------------------------------------------------------------------
 *
 * spi_util.c
 *	  Prepared SPI statements kept for the life of the backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "nodes/parsenodes.h"

#include "spi_util.h"

int
SpiExecute(SpiStatement *stmt, Datum *values, const char *nulls,
		   bool read_only, long count)
{
	int			rc;

	if (stmt->plan == NULL)
	{
		/*
		 * A generic plan: every statement here is a key lookup or a write
		 * by key, whose plan does not depend on the values, so planning
		 * again for each call would be pure overhead.
		 */
		SPIPlanPtr	plan = SPI_prepare_cursor(stmt->sql, stmt->nargs, stmt->argtypes,
											  CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 stmt->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		stmt->plan = plan;
	}

	rc = SPI_execute_plan(stmt->plan, values, nulls, read_only, count);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed for \"%s\": %s",
			 stmt->sql, SPI_result_code_string(rc));
	return rc;
}
