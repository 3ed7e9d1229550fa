# SPDX-License-Identifier: GPL-2.0
# notibench: user space into build/, the module with `make kmod [KDIR=...]`.

PREFIX   ?= /usr/local
DESTDIR  ?=
KDIR     ?= /lib/modules/$(shell uname -r)/build
# Where the module is built; scripts/vm builds one copy per kernel.
KMOD_OUT ?= kmod

CC       ?= cc
CFLAGS   ?= -O2 -g
# bench/'s folders (bench/README.md, Layout): headers are included by name.
BENCH_INC = -Ibench -Ibench/lib -Ibench/harness -Ibench/backends -Ibench/compare
NB_CFLAGS = -std=gnu11 -Wall -Wextra -Werror -Iinclude $(BENCH_INC) -D_GNU_SOURCE
SAN       = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# Guest binaries are static (the initramfs has no libc); ASan cannot be static,
# UBSan can when it traps.
STATIC    = -static -fsanitize=undefined -fsanitize-undefined-trap-on-error

# ARCH=arm64: the guest's programs (make static) cross-built into build/arm64/
# (libperf too), for scripts/vm --arch arm64; x86 (the host) stays in build/.
ifeq ($(ARCH),arm64)
# exported: make kmod ARCH=arm64 hands it to kmod/probe.sh and the kernel's make
export CROSS_COMPILE ?= aarch64-linux-gnu-
CC := $(CROSS_COMPILE)gcc
B := build/arm64
LIBPERF_ARCH := --arch arm64
else ifneq ($(filter-out x86 x86_64,$(ARCH)),)
$(error ARCH=$(ARCH): x86 (the default) or arm64)
else
B := build
endif

# Client of the ioctl ABI, shared by tests and benchmarks.
NBDEV_SRC := bench/lib/nbdev.c
HOST_TESTS := $(B)/tests/abi_test $(B)/tests/stats_test $(B)/tests/insn_test
GUEST_TESTS := $(B)/static/kmod_test $(B)/static/bench_test $(B)/static/kvm_test $(B)/static/csvcheck \
	       $(B)/static/csvcheck.awk $(B)/static/fuzz_test

# The benchmark binary (bench/README.md). libperf is built from Debian's
# linux-source package by scripts/build-libperf and linked statically into
# both builds. No sanitizers here: this binary measures.
NB_GIT    := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
LIBPERF   := $(B)/libperf
LIBPERF_A := $(LIBPERF)/lib64/libperf.a
# A benchmark is one file in bench/benchmarks/ that registers itself
# (NB_BENCHMARK, bench/harness/bench.h); a backend one file in bench/backends/
# and a row in the table of bench/backends/backend.c. The Makefile finds both.
BENCHMARKS := $(sort $(wildcard bench/benchmarks/*.c))
BACKENDS   := $(sort $(wildcard bench/backends/*.c))
LIB_SRC    := bench/lib/stats.c bench/lib/csv_field.c bench/lib/csv_read.c bench/lib/util.c
BENCH_SRC  := bench/main.c bench/export.c bench/export_tsv.c $(sort $(wildcard bench/harness/*.c)) $(BACKENDS) \
	      $(BENCHMARKS) $(LIB_SRC) $(NBDEV_SRC)
BENCH_HDR := $(wildcard bench/*.h bench/*/*.h) bench/harness/traits.def include/notibench.h
# The version (--version, the man pages, DKMS's /usr/src/notibench-<version>):
# the module's NB_MODULE_VERSION in kmod/nb.h, the one place it is written.
NB_VERSION := $(shell sed -n 's/^\#define NB_MODULE_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' kmod/nb.h)
BENCH_HDR += kmod/nb.h
BENCH_CFLAGS = -I$(LIBPERF)/include -DNB_GIT_REV='"$(NB_GIT)"' -DNB_VERSION='"$(NB_VERSION)"'
BENCH_LIBS = $(LIBPERF_A) $(LIBPERF)/lib64/libapi.a -luring -lnuma -lm
# scripts/compare runs this (bench/compare/); it needs no libperf.
COMPARE_SRC := $(sort $(wildcard bench/compare/*.c)) bench/lib/csv_read.c bench/lib/csv_field.c \
	       bench/lib/stats.c

.PHONY: all static kmod check install clean deps bench kernel exact-stability soak hardware FORCE

ifeq ($(ARCH),arm64)
# The host's tests and tools are x86's; insn_test runs in the guest (the host
# cannot single-step arm64 code).
all: static
GUEST_TESTS += $(B)/static/insn_test
$(B)/static/insn_test: kmod/nb_insn.h
else
all: $(HOST_TESTS) $(B)/notibench $(B)/notibench-compare static
endif

static: $(GUEST_TESTS) $(B)/static/notibench $(B)/static/all $(B)/static/vm-yield

# bench/all is POSIX sh: the guest of scripts/vm runs it as /nb/all.
$(B)/static/all: bench/all
	@mkdir -p $(@D)
	cp $< $@

# scripts/vm's guest brings CPUs up with it in exact mode (scripts/vm-yield.c).
$(B)/static/vm-yield: scripts/vm-yield.c
	@mkdir -p $(@D)
	$(CC) $(NB_CFLAGS) $(CFLAGS) -static -o $@ $<

$(LIBPERF_A):
	scripts/build-libperf $(LIBPERF_ARCH)

# The revision the binaries report (notibench_git in every CSV): rewritten
# when it changes, so a commit or an edit elsewhere rebuilds them.
$(B)/git-rev: FORCE
	@mkdir -p $(@D)
	@echo '$(NB_GIT)' | cmp -s - $@ || echo '$(NB_GIT)' > $@
FORCE:

$(B)/notibench: $(BENCH_SRC) $(BENCH_HDR) $(LIBPERF_A) $(B)/git-rev
	@mkdir -p $(@D)
	$(CC) $(NB_CFLAGS) $(CFLAGS) $(BENCH_CFLAGS) -o $@ $(BENCH_SRC) $(BENCH_LIBS)

$(B)/notibench-compare: $(COMPARE_SRC) bench/compare/compare.h bench/lib/csv_read.h bench/lib/stats.h \
		kmod/nb.h
	@mkdir -p $(@D)
	$(CC) $(NB_CFLAGS) $(CFLAGS) -DNB_VERSION='"$(NB_VERSION)"' -o $@ $(COMPARE_SRC) -lm

$(B)/static/notibench: $(BENCH_SRC) $(BENCH_HDR) $(LIBPERF_A) $(B)/git-rev
	@mkdir -p $(@D)
	$(CC) $(NB_CFLAGS) $(CFLAGS) -static $(BENCH_CFLAGS) -o $@ $(BENCH_SRC) $(BENCH_LIBS)

# Statistics unit test: bench/lib/stats.c only.
$(B)/tests/stats_test: tests/stats_test.c bench/lib/stats.c bench/lib/stats.h tests/tap.h
	@mkdir -p $(@D)
	$(CC) $(NB_CFLAGS) $(CFLAGS) $(SAN) -o $@ $< bench/lib/stats.c -lm

# The INSN model's loop, the module's own header, single-stepped.
$(B)/tests/insn_test: kmod/nb_insn.h

$(B)/tests/%: tests/%.c tests/tap.h $(NBDEV_SRC) bench/lib/nbdev.h include/notibench.h
	@mkdir -p $(@D)
	$(CC) $(NB_CFLAGS) $(CFLAGS) $(SAN) -o $@ $< $(NBDEV_SRC)

$(B)/static/%: tests/%.c tests/tap.h $(NBDEV_SRC) bench/lib/nbdev.h include/notibench.h
	@mkdir -p $(@D)
	$(CC) $(NB_CFLAGS) $(CFLAGS) $(STATIC) -o $@ $< $(NBDEV_SRC)

# kmod_test predicts from the kernel's traits too (bench/harness/env.c, traits.def).
TRAIT_SRC := $(addprefix bench/harness/,env.c knobs.c knob_journal.c knob_file.c)
$(B)/static/kmod_test: tests/kmod_test.c tests/tap.h tests/test_harness.h $(NBDEV_SRC) \
		$(TRAIT_SRC) bench/harness/env.h bench/harness/traits.def bench/lib/nbdev.h bench/lib/util.h \
		include/notibench.h
	@mkdir -p $(@D)
	$(CC) $(NB_CFLAGS) $(CFLAGS) $(STATIC) -o $@ $< $(NBDEV_SRC) $(TRAIT_SRC)

# The ioctl fuzzer (tests/guest/fuzz_test.c): racing threads, hence -pthread.
$(B)/static/fuzz_test: tests/guest/fuzz_test.c tests/tap.h tests/test_harness.h $(NBDEV_SRC) \
		bench/lib/nbdev.h include/notibench.h
	@mkdir -p $(@D)
	$(CC) $(NB_CFLAGS) $(CFLAGS) $(STATIC) -Itests -pthread -o $@ $< $(NBDEV_SRC)

# Guest tests in POSIX sh (busybox) and their helpers, copied as they are.
$(B)/static/%: tests/guest/%
	@mkdir -p $(@D)
	cp $< $@

kmod:
	@test -d "$(KDIR)" || { echo "make kmod: no kernel build dir at KDIR=$(KDIR)" \
		"(install linux-headers-<release> or pass KDIR=)" >&2; exit 2; }
	@if [ "$(KMOD_OUT)" != kmod ]; then mkdir -p "$(KMOD_OUT)" && \
		cp -p kmod/nb*.c kmod/nb.h kmod/nb_insn.h kmod/Kbuild kmod/probe.sh "$(KMOD_OUT)/" && \
		mkdir -p "$(KMOD_OUT)/probes" && cp -p kmod/probes/*.c "$(KMOD_OUT)/probes/"; fi
	kmod/probe.sh "$(KDIR)" "$(abspath $(KMOD_OUT))"
	$(MAKE) -C "$(KDIR)" M="$(abspath $(KMOD_OUT))" NB_INCLUDE="$(abspath include)" modules

deps:
	scripts/deps $(if $(filter arm64,$(ARCH)),arm64)

# A kernel built from source for scripts/vm, cached (scripts/kernel, README.md):
# KARGS="--source 6.1 --patch my.patch --config debug ..." (default: 6.12).
kernel:
	scripts/kernel $(KARGS)

# The arm64 guests' cross compiler and QEMU too, unless NB_ARM64_KERNELS=none
# (tests/run).
check: deps
	$(if $(filter none,$(NB_ARM64_KERNELS) $(NB_KERNELS)),,scripts/deps arm64)
	tests/run

# The main job (README.md): every benchmark on every backend this machine has,
# the module's part in QEMU when this kernel cannot load modules. QUICK=1: the
# quick matrix.
# ARCH=arm64: all of it in an arm64 guest (scripts/bench --arch arm64); the
# summary and plots still run here, with the host's notibench.
bench: deps
	$(MAKE) ARCH=x86 build/notibench static
	scripts/bench $(if $(QUICK),--quick) $(if $(filter arm64,$(ARCH)),--arch arm64)

# The hardware path from scratch in a full Debian guest (scripts/vm --rootfs):
# make bench QUICK=1 with everything compiled there, the whole quick matrix,
# then the host part of make check (tests/vm/hardware_test.sh, NB_HARDWARE=full;
# make check runs a part of it). KERNEL=6.1 for the other kernel.
hardware: deps
	NB_HARDWARE=full tests/vm/hardware_test.sh $(or $(KERNEL),6.12)

# Exact mode's targets, measured (README.md, "Exact mode"): 5 boots of 6.1
# and 6.12 each, the quick matrix's kmod items; report in
# build/exact-stability/report.txt. KERNELS=, BOOTS= to change them.
exact-stability: deps
	$(MAKE) static
	scripts/exact-stability $(if $(KERNELS),--kernels $(KERNELS)) $(if $(BOOTS),--boots $(BOOTS))

# The module under the ioctl fuzzer (scripts/soak): >= 1M calls over boots of
# 6.1, 6.12 and the debug kernel, each with its own seed; prints calls, boots
# and findings. CALLS=, KERNELS= to change them.
soak: deps
	$(MAKE) static
	scripts/soak $(if $(CALLS),--calls-total $(CALLS)) $(if $(KERNELS),--kernels "$(KERNELS)")

# Man pages (build/man/): help2man reads each tool's own --help and --version,
# through scripts/man-help (it reshapes the usage lines only) and a wrapper
# build/man/bin/NAME that runs the tool under its installed name: a page cannot
# drift from the tool.
MAN_TOOLS := notibench notibench-all notibench-compare notibench-plot notibench-summary
MANS := $(MAN_TOOLS:%=$(B)/man/%.1)
man_prog_notibench := $(B)/notibench
man_prog_notibench-all := bench/all
man_prog_notibench-compare := $(B)/notibench-compare
man_prog_notibench-plot := scripts/plot
man_prog_notibench-summary := scripts/summary
man_name_notibench := microbenchmarks of what Linux MMU notifiers cost
man_name_notibench-all := run the whole notibench matrix
man_name_notibench-compare := compare notibench runs
man_name_notibench-plot := plot notibench runs with gnuplot
man_name_notibench-summary := a short table of notibench runs
.PHONY: man
man: $(MANS)
ifneq ($(ARCH),arm64)
all: man
endif
$(B)/man/notibench.1: $(B)/notibench
$(B)/man/notibench-all.1: bench/all $(B)/notibench
$(B)/man/notibench-compare.1: $(B)/notibench-compare
$(B)/man/notibench-plot.1: scripts/plot kmod/nb.h
$(B)/man/notibench-summary.1: scripts/summary kmod/nb.h
$(MANS): $(B)/man/%.1: scripts/man-help
	@command -v help2man >/dev/null || { echo "make: no help2man for $@ (scripts/deps installs it)" >&2; exit 2; }
	@mkdir -p $(B)/man/bin
	@printf '#!/bin/sh\nexport NOTIBENCH=%s\nexec %s %s %s "$$@"\n' '$(abspath $(B)/notibench)' \
		'$(abspath scripts/man-help)' '$*' '$(abspath $(man_prog_$*))' > $(B)/man/bin/$*
	@chmod 0755 $(B)/man/bin/$*
	help2man --no-info --section 1 --name '$(man_name_$*)' --output $@.tmp $(B)/man/bin/$*
	@mv $@.tmp $@

# The benchmark binary, the ABI header, and the module's sources laid out so
# that `kmod/probe.sh KDIR kmod && make -C KDIR M=$PWD/kmod` builds them there;
# the tools: notibench-all (bench/all, which runs the notibench beside it),
# notibench-compare, notibench-plot and notibench-summary; their man pages and
# notibench's bash completion. The module's sources, probes, ABI header and
# dkms.conf also go to $(DKMS_SRC)/notibench-<version> (DKMS_SRC= skips them),
# registered with `dkms add` when dkms is installed and DESTDIR is empty.
SHARE = $(DESTDIR)$(PREFIX)/share/notibench
DKMS_SRC ?= /usr/src
DKMS_DIR = $(DESTDIR)$(DKMS_SRC)/notibench-$(NB_VERSION)
KMOD_C := $(filter-out %.mod.c,$(wildcard kmod/nb*.c))
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include \
		$(SHARE)/include $(SHARE)/kmod/probes
	install -m 0755 $(B)/notibench $(DESTDIR)$(PREFIX)/bin/notibench
	install -m 0644 include/notibench.h $(DESTDIR)$(PREFIX)/include/notibench.h
	install -m 0644 include/notibench.h $(SHARE)/include/notibench.h
	install -m 0644 kmod/nb*.c kmod/nb.h kmod/nb_insn.h kmod/Kbuild kmod/README.md $(SHARE)/kmod/
	install -m 0644 kmod/probes/*.c $(SHARE)/kmod/probes/
	install -m 0755 kmod/probe.sh $(SHARE)/kmod/
	install -m 0755 $(B)/notibench-compare $(DESTDIR)$(PREFIX)/bin/notibench-compare
	install -m 0755 bench/all $(DESTDIR)$(PREFIX)/bin/notibench-all
	install -d $(SHARE)/scripts/lib
	install -m 0755 scripts/plot scripts/summary $(SHARE)/scripts/
	install -m 0644 scripts/lib/*.awk scripts/lib/runs.sh $(SHARE)/scripts/lib/
	for s in plot summary; do \
		printf '#!/bin/sh\nexport NB_PROG=notibench-%s\nexec %s/share/notibench/scripts/%s "$$@"\n' $$s '$(PREFIX)' $$s \
			> $(DESTDIR)$(PREFIX)/bin/notibench-$$s && \
		chmod 0755 $(DESTDIR)$(PREFIX)/bin/notibench-$$s; done
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 $(MANS) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 scripts/completion/notibench.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/notibench
ifneq ($(DKMS_SRC),)
	install -d $(DKMS_DIR)/probes $(DKMS_DIR)/include
	install -m 0644 $(KMOD_C) kmod/nb.h kmod/nb_insn.h kmod/Kbuild $(DKMS_DIR)/
	install -m 0755 kmod/probe.sh $(DKMS_DIR)/
	install -m 0644 kmod/probes/*.c $(DKMS_DIR)/probes/
	install -m 0644 include/notibench.h $(DKMS_DIR)/include/
	sed 's/@VERSION@/$(NB_VERSION)/' dkms.conf > $(DKMS_DIR)/dkms.conf
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null; then \
		if dkms status -m notibench -v $(NB_VERSION) | grep -q .; then \
			echo "install: notibench/$(NB_VERSION) is already added to DKMS"; \
		else echo "dkms add notibench/$(NB_VERSION)" && dkms add notibench/$(NB_VERSION); fi; fi
endif

clean:
	rm -rf $(B)
	-$(MAKE) -C "$(KDIR)" M="$(abspath kmod)" clean 2>/dev/null
	rm -f kmod/nb_probes.h
