// SPDX-License-Identifier: GPL-2.0
/*
 * A scratch module for testing the VM runner itself: loading it with warn=1
 * triggers WARN_ON(1), which the runner must turn into a failed run.
 */
#include <linux/module.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "trigger a WARN_ON(1) at load");

static int __init kipsec_warn_init(void)
{
	WARN_ON(warn);
	return 0;
}

static void __exit kipsec_warn_exit(void)
{
}

module_init(kipsec_warn_init);
module_exit(kipsec_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kipsec VM runner self-test: a deliberate WARN_ON");
