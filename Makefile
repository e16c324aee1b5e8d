# Makefile for the appeasement extension (PGXS)

EXTENSION = appeasement
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = $(EXTENSION)
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# Install scripts live in sql/ beside the regression tests; a test is any
# other file there.
DATA = $(wildcard sql/$(EXTENSION)--*.sql)
REGRESS = $(sort $(filter-out $(EXTENSION)--%,$(basename $(notdir $(wildcard sql/*.sql)))))
ISOLATION = $(sort $(basename $(notdir $(wildcard test/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test

PG_CFLAGS = -std=gnu99 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers
ifdef CI
PG_CFLAGS += -Werror
endif
ifdef WERROR
PG_CFLAGS += -Werror
endif

EXTRA_CLEAN = test/bin

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
include $(PGXS)

# Every object depends on every header: the headers are few and small.
$(OBJS): $(wildcard src/*.h)

# One-command setup, tests and benchmark (test/scripts/).
.PHONY: demo test bench unit fuzz

demo:
	bash test/scripts/demo.sh

test:
	bash test/scripts/run-tests.sh

bench:
	bash test/scripts/bench.sh

unit:
	$(MAKE) -C test/unit run

fuzz:
	$(MAKE) -C test/fuzz run
