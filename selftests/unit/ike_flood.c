// SPDX-License-Identifier: GPL-2.0
/*
 * Test tool: send N well-formed IKE_SA_INIT requests (ecp256, AES-GCM-256)
 * that will never be completed, each from its own source address, to make
 * a responder hold N half-open IKE_SAs.
 *   ike_flood DST SRC_PREFIX FIRST N     e.g. 192.0.2.1 192.0.2. 100 10
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "../../ike/kiked.h"

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(500) };
	struct prop_list props;
	char err[128];

	if (argc != 5 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
		fprintf(stderr, "usage: ike_flood DST SRC_PREFIX FIRST N\n");
		return 2;
	}
	props_parse("aes256gcm16-prfsha256-ecp256", PROTO_IKE, &props, err, sizeof(err));
	for (int i = 0; i < atoi(argv[4]); i++) {
		static const uint8_t zero[8];
		struct sockaddr_in src = { .sin_family = AF_INET };
		struct msg_builder b;
		struct buf ke = { 0 };
		struct dh *d = dh_new(DH_ECP256);
		uint8_t spi[8], nonce[32];
		char a[32];
		size_t s;
		int fd;

		snprintf(a, sizeof(a), "%s%d", argv[2], atoi(argv[3]) + i);
		if (!d || dh_public(d, &ke) || inet_pton(AF_INET, a, &src.sin_addr) != 1)
			return 1;
		rand_bytes(spi, 8);
		rand_bytes(nonce, 32);
		ike_hdr(&b, spi, zero, PL_NONE, EXCH_IKE_SA_INIT, IKE_FLAG_I, 0);
		sa_write(&b, props.p, props.n);
		s = mb_pl_begin(&b, PL_KE);
		mb_u16(&b, DH_ECP256);
		mb_u16(&b, 0);
		mb_put(&b, ke.p, ke.len);
		mb_pl_end(&b, s);
		s = mb_pl_begin(&b, PL_NONCE);
		mb_put(&b, nonce, sizeof(nonce));
		mb_pl_end(&b, s);
		ike_hdr_finish(&b);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
		    sendto(fd, b.buf, b.len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			perror(a);
			return 1;
		}
		close(fd);
		dh_free(d);
		buf_free(&ke);
	}
	return 0;
}

/* ikesa.c links against the event loop. */
double now(void) { return 0; }
void child_uninstall_all(struct ike_sa *sa) { (void)sa; }
void ccs_free(struct ike_sa *sa) { (void)sa; }
void me_sa_gone(struct ike_sa *sa) { (void)sa; }
int net_send(const struct sockaddr_storage *from, const struct sockaddr_storage *to,
	     const void *p, size_t len) { (void)from; (void)to; (void)p; (void)len; return 0; }
struct config g_conf;
double g_rtx_base = 1;
int g_rtx_tries = 1;
