/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal TAP producer for host unit tests: one line per test. */
#ifndef TAP_H
#define TAP_H
#include <stdio.h>
#include <stdarg.h>

static int tap_n, tap_failed, tap_cur_failed;

/* Inside a test: record a failed expectation with a diagnostic. */
#define EXPECT(cond, ...) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: expected %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__);					\
		printf("\n");						\
		tap_cur_failed = 1;					\
	}								\
} while (0)

static inline void tap_run(const char *name, void (*fn)(void))
{
	tap_cur_failed = 0;
	fn();
	tap_n++;
	tap_failed += tap_cur_failed;
	printf("%sok %d %s\n", tap_cur_failed ? "not " : "", tap_n, name);
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#define TAP_RUN(fn) tap_run(#fn, fn)
#endif
