// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of kipsec, run at module load on kernels with CONFIG_KUNIT.
 * Each concern adds its suite here; the shared logic they test is the same
 * code the packet path runs.
 */
#include <kunit/test.h>
#include "../kipsec.h"

static void kipsec_test_version(struct kunit *test)
{
	KUNIT_EXPECT_GT(test, strlen(KIPSEC_VERSION), (size_t)0);
	KUNIT_EXPECT_EQ(test, KIPSEC_GENL_VERSION, 1);
}

static struct kunit_case kipsec_module_cases[] = {
	KUNIT_CASE(kipsec_test_version),
	{}
};

static struct kunit_suite kipsec_module_suite = {
	.name = "kipsec_module",
	.test_cases = kipsec_module_cases,
};

kunit_test_suites(&kipsec_module_suite);
