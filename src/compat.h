/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  What differs between the PostgreSQL versions the extension builds on
 *	  (13 to 17).
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_COMPAT_H
#define APPEASEMENT_COMPAT_H

#include "postgres.h"
#include "fmgr.h"

/*
 * Sets up a materialized set-returning function: rsinfo->setResult and
 * rsinfo->setDesc are ready for tuplestore_putvalues.  InitMaterializedSRF
 * on 15 and later; the same steps by hand before.
 */
extern void MaterializeSetResult(FunctionCallInfo fcinfo);

#endif							/* APPEASEMENT_COMPAT_H */
