# kipsec top-level Makefile.
#   make            userspace programs and kmod/kipsec.ko for $(KDIR)
#   make deps       install build/test dependencies from Debian (idempotent)
#   make demo       boot a VM and show kipsec carrying traffic (the mediation lab)
#   make check      every test (unit, VM suites on 6.1, 6.12 and debug, KUnit)
#   make check-full longer soaks and fuzzing
VERSION := $(shell cat VERSION)
KVER_DEFAULT := $(shell ls -d /lib/modules/$$(uname -r)/build >/dev/null 2>&1 && uname -r || \
	ls -1 /lib/modules 2>/dev/null | grep -- '-cloud-amd64$$' | grep '^6\.1\.' | sort -V | tail -1)
KDIR ?= /lib/modules/$(KVER_DEFAULT)/build

CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wshadow -Werror=implicit-function-declaration \
	  -D_GNU_SOURCE -DKIPSEC_VERSION='"$(VERSION)"' -Iuapi -Itools
LDLIBS_TOOL := -lmnl

TOOL_SRCS := $(sort $(wildcard tools/*.c))
TOOL_OBJS := $(TOOL_SRCS:.c=.o)

IKE_SRCS := $(sort $(wildcard ike/*.c))
IKE_OBJS := $(IKE_SRCS:.c=.o)
LDLIBS_IKE := -lssl -lcrypto -lmnl

FUZZ_SRCS := ike/msg.c ike/sa.c ike/ts.c ike/crypto.c ike/log.c
FUZZ_TIME ?= 300

fuzz/ike_msg_fuzz: fuzz/ike_msg_fuzz.c $(FUZZ_SRCS) ike/kiked.h
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iuapi \
		-o $@ fuzz/ike_msg_fuzz.c $(FUZZ_SRCS) -lcrypto

# The mediation (ME_*) payload parsers of ike/me.c.
ME_FUZZ_SRCS := ike/me.c ike/msg.c ike/sa.c ike/crypto.c ike/log.c
fuzz/ike_me_fuzz: fuzz/ike_me_fuzz.c $(ME_FUZZ_SRCS) ike/me.h ike/kiked.h
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iuapi \
		-o $@ fuzz/ike_me_fuzz.c $(ME_FUZZ_SRCS) -lcrypto

# `make fuzz` (fuzz-ike) runs the IKE message and ME_* payload fuzzers for
# FUZZ_TIME seconds each.
fuzz: fuzz-ike
fuzz-ike: fuzz/ike_msg_fuzz fuzz/ike_me_fuzz
	mkdir -p fuzz/corpus-ike fuzz/corpus-me
	fuzz/ike_msg_fuzz -max_total_time=$(FUZZ_TIME) fuzz/corpus-ike
	fuzz/ike_me_fuzz -max_total_time=$(FUZZ_TIME) fuzz/corpus-me fuzz/corpus/ike_me_fuzz

# kiked's host tests (TAP); `unit` may have other prerequisites elsewhere.
IKE_UNIT_TESTS := selftests/unit/ike_unit.sh selftests/unit/ike_fuzz.sh \
	selftests/unit/ike_charon.sh selftests/unit/ike_kiked.sh selftests/unit/me_unit.sh \
	selftests/unit/me_conf.sh selftests/unit/me_badinput.sh
unit: unit-ike
unit-ike: ike tools/kipsec
	@for t in $(IKE_UNIT_TESTS); do echo "# $$t"; $$t; done; true


ike: ike/kiked selftests/unit/ike_flood

# Test tool for the COOKIE test (well-formed, never completed IKE_SA_INITs).
selftests/unit/ike_flood: selftests/unit/ike_flood.c ike/msg.o ike/sa.o ike/ts.o \
		ike/crypto.o ike/log.o ike/ikesa.o
	$(CC) $(CFLAGS) -o $@ $^ -lcrypto

# kiked programs kipsec through the tool's shared netlink encoder.
IKE_KNL_OBJS := tools/nl.o tools/req_nl.o tools/addr.o

ike/kiked: $(IKE_OBJS) $(IKE_KNL_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_IKE)

ike/%.o: ike/%.c ike/kiked.h ike/me.h
	$(CC) $(CFLAGS) -c -o $@ $<
.PHONY: all kmod tools ike deps check check-full demo bench clean unit unit-ike fuzz fuzz-ike fuzz-smoke
all: tools ike kmod

tools: tools/kipsec

tools/kipsec: $(TOOL_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_TOOL)

tools/%.o: tools/%.c $(wildcard tools/*.h) uapi/linux/kipsec.h
	$(CC) $(CFLAGS) -c -o $@ $<

# Host unit tests (no VM): each program prints TAP.
UNIT_TESTS := selftests/unit/setkey_test selftests/unit/show_test
SETKEY_SRCS := tools/setkey.c tools/setkey_apply.c tools/setkey_cmd.c

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "# $$t"; $$t selftests/unit/setkey-seeds || exit 1; done

selftests/unit/setkey_test: selftests/unit/setkey_test.c tools/setkey.c tools/setkey_apply.c \
		tools/setkey.h tools/req.h
	$(CC) $(CFLAGS) -fsanitize=address,undefined -o $@ $(filter %.c,$^)

selftests/unit/show_test: selftests/unit/show_test.c tools/json.c tools/show.c tools/monitor.c \
		$(SETKEY_SRCS) selftests/unit/stubs.c $(wildcard tools/*.h)
	$(CC) $(CFLAGS) -fsanitize=address,undefined -o $@ $(filter %.c,$^)

# libFuzzer targets (clang): the setkey parser and the CLI argument parsers.
FUZZ_TARGETS := fuzz/setkey_fuzz fuzz/args_fuzz
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -Iuapi -Itools
FUZZ_SECONDS ?= 300

fuzz/%_fuzz: fuzz/%_fuzz.c $(SETKEY_SRCS) selftests/unit/stubs.c tools/setkey.h tools/req.h
	clang $(FUZZ_CFLAGS) -o $@ $< $(SETKEY_SRCS) selftests/unit/stubs.c

# Each target runs on a scratch corpus seeded from fuzz/corpus/; a crash,
# leak or failed invariant stops make with the fuzzer's report.
FUZZ_RUN = echo "TAP version 13"; echo "1..$(words $(FUZZ_TARGETS))"; i=0; rc=0; \
	for t in $(FUZZ_TARGETS); do n=$$(basename $$t); i=$$((i + 1)); mkdir -p build/corpus/$$n; \
		if $$t -max_total_time=$(1) -detect_leaks=1 -artifact_prefix=build/ build/corpus/$$n \
			fuzz/corpus/$$n >build/$$n.log 2>&1; then \
			echo "ok $$i - $$n: $$(grep -o 'Done [0-9]* runs in [0-9]* second' build/$$n.log), no crash, no leak"; \
		else rc=1; echo "not ok $$i - $$n (build/$$n.log)"; tail -40 build/$$n.log | sed 's/^/\# /'; fi; \
	done; exit $$rc

fuzz: $(FUZZ_TARGETS)
	@$(call FUZZ_RUN,$(FUZZ_SECONDS))

fuzz-smoke: $(FUZZ_TARGETS)
	@$(call FUZZ_RUN,20)

kmod:
	$(MAKE) -C $(KDIR) M=$(CURDIR) KIPSEC_VERSION=$(VERSION) modules

deps:
	@selftests/deps.sh

check: deps
	@selftests/run-all

check-full: deps
	@KIPSEC_FULL=1 selftests/run-all

demo: deps
	@selftests/demo.sh

bench: deps
	@selftests/vm/run --kernel $${KIPSEC_KERNEL:-6.1} --timeout 1800 -- env \
		BENCH_ROUNDS=$${BENCH_ROUNDS:-3} BENCH_SECS=$${BENCH_SECS:-4} BENCH_SAS=$${BENCH_SAS:-5000} \
		BENCH_SPD="$${BENCH_SPD:-0 1000 10000 100000}" BENCH_IKE_N=$${BENCH_IKE_N:-256} \
		selftests/bench/inside.sh

clean:
	rm -f tools/*.o tools/kipsec $(UNIT_TESTS) $(FUZZ_TARGETS) ike/*.o ike/kiked fuzz/ike_msg_fuzz fuzz/ike_me_fuzz selftests/unit/ike_flood
	rm -rf build
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1

# ---- Installation and packaging (Documentation/packaging.md) -------------
#   make install [DESTDIR=] [PREFIX=/usr/local]  programs, man pages,
#        completion, unit, config, and kipsec.ko for $(KDIR) in updates/
#   make install-progs / install-kmod / install-dkms (module source for DKMS)
#   make uninstall / uninstall-dkms
#   make deb       kipsec and kipsec-dkms .debs in build/deb/ (lintian-checked)
# kiked, its unit and man page are installed only when ike/ exists.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
MODLOADDIR ?= $(PREFIX)/lib/modules-load.d
SYSCONFDIR ?= /etc
DKMSDIR ?= /usr/src/kipsec-$(VERSION)
# The release modules load under (Debian's headers have another in kernel.release).
KREL = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
WITH_KIKED := $(if $(wildcard ike/*.c),1)
PROGS := $(strip tools/kipsec $(if $(WITH_KIKED),ike/kiked))
MAN8 := $(strip $(wildcard Documentation/kipsec.8) $(if $(WITH_KIKED),$(wildcard Documentation/kiked.8)))
COMPLETION := $(wildcard tools/completion/kipsec.bash)
DKMS_SRC = Kbuild VERSION dkms.conf uapi/linux/kipsec.h \
	$(shell find kmod \( -name '*.[ch]' ! -name '*.mod.c' \) -o -name Kbuild -o -name Makefile)
INSTALL ?= install

.PHONY: progs install install-progs install-kmod install-dkms uninstall uninstall-dkms deb
progs: $(PROGS)

install: install-progs install-kmod

install-progs: $(PROGS)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/kipsec
	$(INSTALL) -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	$(if $(MAN8),$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8)
	$(if $(MAN8),$(INSTALL) -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/)
	$(if $(COMPLETION),$(INSTALL) -D -m 0644 $(COMPLETION) $(DESTDIR)$(COMPLETIONDIR)/kipsec)
	@# An admin's edited configuration is never overwritten.
	[ -e $(DESTDIR)$(SYSCONFDIR)/kipsec/ipsec.conf ] || \
		$(INSTALL) -m 0644 packaging/ipsec.conf $(DESTDIR)$(SYSCONFDIR)/kipsec/ipsec.conf
	[ -e $(DESTDIR)$(SYSCONFDIR)/kipsec/ipsec.secrets ] || \
		$(INSTALL) -m 0600 packaging/ipsec.secrets $(DESTDIR)$(SYSCONFDIR)/kipsec/ipsec.secrets
ifneq ($(WITH_KIKED),)
	$(INSTALL) -D -m 0644 packaging/kiked.bash-completion $(DESTDIR)$(COMPLETIONDIR)/kiked
	$(INSTALL) -d $(DESTDIR)$(UNITDIR)
	for u in kiked kiked@; do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
			packaging/$$u.service.in > $(DESTDIR)$(UNITDIR)/$$u.service && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; \
	done
endif

install-kmod: kmod
	@[ -n "$(KREL)" ] || { echo "install-kmod: no kernel release in $(KDIR)" >&2; exit 1; }
	$(INSTALL) -D -m 0644 kmod/kipsec.ko $(DESTDIR)/lib/modules/$(KREL)/updates/kipsec.ko
	$(INSTALL) -D -m 0644 packaging/modules-load.conf $(DESTDIR)$(MODLOADDIR)/kipsec.conf
	$(if $(DESTDIR),,depmod -a $(KREL))

install-dkms:
	$(INSTALL) -d $(DESTDIR)$(DKMSDIR)
	tar -cf - $(DKMS_SRC) | tar -C $(DESTDIR)$(DKMSDIR) -xf -
	$(INSTALL) -D -m 0644 packaging/modules-load.conf $(DESTDIR)$(MODLOADDIR)/kipsec.conf

# Configuration in $(SYSCONFDIR)/kipsec is the admin's: left in place.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,kipsec kiked)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,kipsec.8 kiked.8)
	rm -f $(addprefix $(DESTDIR)$(COMPLETIONDIR)/,kipsec kiked) $(addprefix $(DESTDIR)$(UNITDIR)/,kiked.service kiked@.service)
	rm -f $(DESTDIR)$(MODLOADDIR)/kipsec.conf
	$(if $(KREL),rm -f $(DESTDIR)/lib/modules/$(KREL)/updates/kipsec.ko)
	$(if $(DESTDIR)$(if $(KREL),,x),,depmod -a $(KREL))

uninstall-dkms:
	-$(if $(DESTDIR),,dkms remove kipsec/$(VERSION) --all)
	rm -rf $(DESTDIR)$(DKMSDIR)
	rm -f $(DESTDIR)$(MODLOADDIR)/kipsec.conf

# dpkg-buildpackage writes next to the source tree, so it builds a copy of
# the working tree (uncommitted changes included, build products not: what
# git does not ignore) in build/deb/.
deb:
	rm -rf build/deb && mkdir -p build/deb/kipsec-$(VERSION)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z -co --exclude-standard | \
			tar --null --ignore-failed-read -T - -cf - 2>/dev/null; \
	else tar --exclude=./build --exclude='*.o' --exclude='*.ko' --exclude='*.mod*' \
		--exclude='.*.cmd' -cf - .; fi | tar -C build/deb/kipsec-$(VERSION) -xf -
	cd build/deb/kipsec-$(VERSION) && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -30 ../build.log; exit 1; }
	lintian --fail-on error build/deb/kipsec_$(VERSION)_*.changes
	@ls build/deb/*.deb
