// SPDX-License-Identifier: GPL-2.0
/* Addresses and prefixes as every front end writes them. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kipsec.h"
#include "req.h"

int kaddr_parse(const char *s, struct kaddr *a, uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long n;
	int full;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, &a->v4) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, &a->v6) == 1)
		a->family = AF_INET6;
	else
		return -1;
	full = a->family == AF_INET ? 32 : 128;
	if (!slash) {
		if (plen)
			*plen = full;
		return 0;
	}
	if (!plen || !*slash)
		return -1;
	n = strtoul(slash, &end, 10);
	if (*end || n > (unsigned long)full)
		return -1;
	*plen = n;
	return 0;
}

const char *kaddr_str(const struct kaddr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->b, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* Keyword helpers (kw.h). */
#include <errno.h>
#include <netdb.h>
#include "kw.h"

const char *kw_what = "";

int kw_report(int ret, const char *err)
{
	if (!ret)
		return EXIT_OK;
	kw_err("%s%s%s", err[0] ? err : "", err[0] ? ": " : "", strerror(-ret));
	return EXIT_RUNTIME;
}

int kw_num(const char *kw, const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 0);
	if (!*val || *end || errno || val[0] == '-' || v < min || v > max) {
		kw_err("'%s' expects a number from %llu to %llu, got '%s'", kw,
		       (unsigned long long)min, (unsigned long long)max, val);
		return -1;
	}
	*out = v;
	return 0;
}

int kw_addr(const char *kw, const char *val, struct kaddr *a, uint8_t *plen)
{
	if (kaddr_parse(val, a, plen) == 0)
		return 0;
	kw_err("'%s' expects an IPv4 or IPv6 address%s, got '%s'", kw,
	       plen ? " or prefix" : "", val);
	return -1;
}

static const struct { const char *name; uint8_t proto; } protos[] = {
	{ "any", 0 }, { "icmp", IPPROTO_ICMP }, { "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP }, { "esp", IPPROTO_ESP }, { "ah", IPPROTO_AH },
	{ "ipv6-icmp", IPPROTO_ICMPV6 }, { "icmpv6", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP }, { "udplite", IPPROTO_UDPLITE }, { "dccp", IPPROTO_DCCP },
	{ "gre", IPPROTO_GRE },
};

int kw_proto(const char *kw, const char *val, uint8_t *proto)
{
	unsigned long v;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(val, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	v = strtoul(val, &end, 10);
	if (*val && !*end && v <= 255) {
		*proto = v;
		return 0;
	}
	kw_err("'%s' expects a protocol name (tcp, udp, icmp, ipv6-icmp, sctp, any, ...) or number 0-255, got '%s'",
	       kw, val);
	return -1;
}

const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

int kw_need(int argc, char **argv, int i, int n)
{
	if (i + n < argc)
		return 0;
	kw_err("'%s' needs %d value%s", argv[i], n, n > 1 ? "s" : "");
	return -1;
}

int kw_sel(int argc, char **argv, int *i, struct ksel *sel)
{
	const char *kw = argv[*i];
	uint64_t v;

	if (strcmp(kw, "src") && strcmp(kw, "dst") && strcmp(kw, "proto") &&
	    strcmp(kw, "sport") && strcmp(kw, "dport") && strcmp(kw, "type") &&
	    strcmp(kw, "code"))
		return 0;
	if (kw_need(argc, argv, *i, 1))
		return -1;
	(*i)++;
	if (!strcmp(kw, "src"))
		return kw_addr(kw, argv[*i], &sel->src, &sel->splen) ? -1 : 1;
	if (!strcmp(kw, "dst"))
		return kw_addr(kw, argv[*i], &sel->dst, &sel->dplen) ? -1 : 1;
	if (!strcmp(kw, "proto"))
		return kw_proto(kw, argv[*i], &sel->proto) ? -1 : 1;
	if (kw_num(kw, argv[*i], 0, !strcmp(kw, "sport") || !strcmp(kw, "dport") ? 65535 : 255,
		   &v))
		return -1;
	if (!strcmp(kw, "sport"))
		sel->sport = v;
	else if (!strcmp(kw, "dport"))
		sel->dport = v;
	else if (!strcmp(kw, "type"))
		sel->icmp_type = v;
	else
		sel->icmp_code = v;
	return 1;
}

int kw_sel_finish(struct ksel *sel, int default_family)
{
	char b1[64], b2[64];

	if (sel->src.family && sel->dst.family && sel->src.family != sel->dst.family) {
		kw_err("selector 'src' %s and 'dst' %s are of different families",
		       kaddr_str(&sel->src, b1, sizeof(b1)), kaddr_str(&sel->dst, b2, sizeof(b2)));
		return -1;
	}
	sel->family = sel->src.family ? sel->src.family :
		      sel->dst.family ? sel->dst.family : default_family;
	if (!sel->family) {
		kw_err("selector needs 'src' or 'dst' to know its family");
		return -1;
	}
	if ((sel->sport || sel->dport) && sel->proto != IPPROTO_TCP &&
	    sel->proto != IPPROTO_UDP && sel->proto != IPPROTO_SCTP &&
	    sel->proto != IPPROTO_UDPLITE && sel->proto != IPPROTO_DCCP) {
		kw_err("'sport'/'dport' need 'proto' tcp, udp, sctp, udplite or dccp");
		return -1;
	}
	if ((sel->icmp_type >= 0 || sel->icmp_code >= 0) &&
	    sel->proto != (sel->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6)) {
		kw_err("'type'/'code' need 'proto' %s", sel->family == AF_INET ? "icmp" : "ipv6-icmp");
		return -1;
	}
	return 0;
}

static void prefix_str(const struct kaddr *a, uint8_t plen, int family, char *buf, size_t len)
{
	char b[64];

	if (!a->family) {
		snprintf(buf, len, "%s", family == AF_INET ? "0.0.0.0/0" : "::/0");
		return;
	}
	snprintf(buf, len, "%s/%u", kaddr_str(a, b, sizeof(b)), plen);
}

void sel_print(const struct ksel *sel, FILE *out)
{
	char s[80], d[80], p[8];

	prefix_str(&sel->src, sel->splen, sel->family, s, sizeof(s));
	prefix_str(&sel->dst, sel->dplen, sel->family, d, sizeof(d));
	fprintf(out, "src %s dst %s", s, d);
	if (sel->proto)
		fprintf(out, " proto %s", proto_name(sel->proto, p, sizeof(p)));
	if (sel->sport)
		fprintf(out, " sport %u", sel->sport);
	if (sel->dport)
		fprintf(out, " dport %u", sel->dport);
	if (sel->icmp_type >= 0)
		fprintf(out, " type %d", sel->icmp_type);
	if (sel->icmp_code >= 0)
		fprintf(out, " code %d", sel->icmp_code);
}

void sel_json(const struct ksel *sel, FILE *out)
{
	char s[80], d[80], p[8];

	prefix_str(&sel->src, sel->splen, sel->family, s, sizeof(s));
	prefix_str(&sel->dst, sel->dplen, sel->family, d, sizeof(d));
	fprintf(out, "{\"src\":\"%s\",\"dst\":\"%s\",\"proto\":\"%s\"", s, d,
		proto_name(sel->proto, p, sizeof(p)));
	if (sel->sport)
		fprintf(out, ",\"sport\":%u", sel->sport);
	if (sel->dport)
		fprintf(out, ",\"dport\":%u", sel->dport);
	if (sel->icmp_type >= 0)
		fprintf(out, ",\"type\":%d", sel->icmp_type);
	if (sel->icmp_code >= 0)
		fprintf(out, ",\"code\":%d", sel->icmp_code);
	fprintf(out, "}");
}
