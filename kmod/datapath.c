// SPDX-License-Identifier: GPL-2.0
/*
 * Packet path registration.  Inbound ESP and AH reach kipsec through Linux's own
 * xfrm protocol handler chain (xfrm4/6_protocol_register), at a priority
 * above esp4/esp6 and ah4/ah6: kipsec looks at every ESP/AH packet first, consumes those
 * whose SPI is in its SAD and returns -EINVAL ("not mine") for the rest, so
 * that Linux's XFRM keeps working beside it.  We never register the ESP or
 * AH protocol number with inet_add_protocol(), which would take it from XFRM.
 */
#include <linux/module.h>
#include <net/xfrm.h>
#include "kipsec.h"
#include "datapath.h"

static struct xfrm4_protocol kipsec_esp4_protocol = {
	.handler	= kipsec_esp4_rcv,
	.input_handler	= kipsec_esp_decline_input,
	.cb_handler	= kipsec_esp_decline_cb,
	.err_handler	= kipsec_esp4_err,
	.priority	= KIPSEC_XFRM_PRIORITY,
};

static struct xfrm4_protocol kipsec_ah4_protocol = {
	.handler	= kipsec_ah4_rcv,
	.input_handler	= kipsec_esp_decline_input,
	.cb_handler	= kipsec_esp_decline_cb,
	.err_handler	= kipsec_esp4_err,
	.priority	= KIPSEC_XFRM_PRIORITY,
};

#if IS_ENABLED(CONFIG_IPV6)
static struct xfrm6_protocol kipsec_esp6_protocol = {
	.handler	= kipsec_esp6_rcv,
	.input_handler	= kipsec_esp_decline_input,
	.cb_handler	= kipsec_esp_decline_cb,
	.err_handler	= kipsec_esp6_err,
	.priority	= KIPSEC_XFRM_PRIORITY,
};

static struct xfrm6_protocol kipsec_ah6_protocol = {
	.handler	= kipsec_ah6_rcv,
	.input_handler	= kipsec_esp_decline_input,
	.cb_handler	= kipsec_esp_decline_cb,
	.err_handler	= kipsec_esp6_err,
	.priority	= KIPSEC_XFRM_PRIORITY,
};

static int dp_register6(void)
{
	int err;

	err = xfrm6_protocol_register(&kipsec_esp6_protocol, IPPROTO_ESP);
	if (err)
		return err;
	err = xfrm6_protocol_register(&kipsec_ah6_protocol, IPPROTO_AH);
	if (err)
		xfrm6_protocol_deregister(&kipsec_esp6_protocol, IPPROTO_ESP);
	return err;
}

static void dp_deregister6(void)
{
	xfrm6_protocol_deregister(&kipsec_ah6_protocol, IPPROTO_AH);
	xfrm6_protocol_deregister(&kipsec_esp6_protocol, IPPROTO_ESP);
}
#else
static int dp_register6(void)
{
	return 0;
}

static void dp_deregister6(void)
{
}
#endif

int kipsec_dp_init(void)
{
	int err;

	err = xfrm4_protocol_register(&kipsec_esp4_protocol, IPPROTO_ESP);
	if (err)
		return err;
	err = xfrm4_protocol_register(&kipsec_ah4_protocol, IPPROTO_AH);
	if (err)
		goto err_ah4;
	err = dp_register6();
	if (err)
		goto err_6;
	return 0;
err_6:
	xfrm4_protocol_deregister(&kipsec_ah4_protocol, IPPROTO_AH);
err_ah4:
	xfrm4_protocol_deregister(&kipsec_esp4_protocol, IPPROTO_ESP);
	return err;
}

/*
 * The deregistrations end with synchronize_net(), so no packet is inside
 * our handlers when the per-netns state goes away after this.
 */
void kipsec_dp_exit(void)
{
	dp_deregister6();
	xfrm4_protocol_deregister(&kipsec_ah4_protocol, IPPROTO_AH);
	xfrm4_protocol_deregister(&kipsec_esp4_protocol, IPPROTO_ESP);
}

int kipsec_dp_net_init(struct kipsec_net *kn)
{
	int err;

	err = kipsec_policy_net_init(kn);
	if (err)
		return err;
	err = kipsec_output_net_init(kn->net);
	if (err)
		kipsec_policy_net_exit(kn->net);
	return err;
}

void kipsec_dp_net_exit(struct kipsec_net *kn)
{
	kipsec_output_net_exit(kn->net);
	kipsec_policy_net_exit(kn->net);
}
