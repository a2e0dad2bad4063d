# SPDX-License-Identifier: GPL-2.0
# procsnoop: one static binary, BPF objects embedded as skeletons.
# Everything generated lands in $(OUT); `make V=1` shows the commands.

HOST_ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/;s/ppc64le/powerpc/;s/s390x/s390/')
ARCH      := $(HOST_ARCH)
# `make ARCH=arm64` elsewhere: a cross build into its own directory (README "arm64").
# The compiler is clang: Debian 12's gcc-aarch64-linux-gnu conflicts with gcc-multilib,
# which the x86-64 tests need (CC=aarch64-linux-gnu-gcc works where it is installed).
ifneq ($(ARCH),$(HOST_ARCH))
ifneq ($(ARCH),arm64)
$(error cross builds: ARCH=arm64 only, not $(ARCH))
endif
CROSS_TRIPLE := aarch64-linux-gnu
OUT       ?= build-$(ARCH)
ifneq ($(filter check test run unit helpers bench,$(MAKECMDGOALS)),)
$(error make ARCH=$(ARCH) cross-builds the binary only; make test-arm64 tests it under QEMU)
endif
endif
# make SAN=1: the user space with ASan+UBSan, dynamic, for tests only, in its own dir.
# `make check` (the README's test command, and CI's) means SAN=1 unless SAN is
# given: SAN=0 runs the whole suite on the static binary alone.
ifeq ($(origin SAN),undefined)
ifneq ($(filter check test,$(MAKECMDGOALS)),)
SAN := 1
# for the sub-makes of check, whose goals are not check
export SAN
endif
endif
ifeq ($(SAN),1)
OUT       ?= build-san
endif
OUT       ?= build
CLANG     ?= clang
LLVM_STRIP ?= llvm-strip
# make predefines CC=cc, so `CC ?= gcc` would never apply: override only the default.
# SAN=1: clang, whose UBSan honours log_path (tests/run.py collects every
# report from there); gcc's prints UBSan reports on stderr only
ifeq ($(origin CC),default)
CC        := $(if $(CROSS_TRIPLE),clang --target=$(CROSS_TRIPLE),$(if $(filter 1,$(SAN)),clang,gcc))
endif
# the test helpers (process fixtures) are plain C, the same with any build
HELPER_CC ?= gcc
# what clang says that gcc does not, about code gcc builds cleanly
CLANG_NOWARN := $(if $(findstring clang,$(CC)),-Wno-gnu-variable-sized-type-not-at-end \
	-Wno-unused-but-set-variable)
BPFTOOL   ?= bpftool
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Recursive (=), so $(CC) -dumpmachine runs when a BPF object is compiled, after
# `make run`/`make check` installed gcc; at parse time it may not exist yet.
BPF_CFLAGS = -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Isrc -Isrc/bpf -idirafter /usr/include/$(or $(CROSS_TRIPLE),$(shell $(CC) -dumpmachine))
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	-Isrc -I$(OUT) -DPS_VERSION='"$(VERSION)"' -MMD -MP $(CLANG_NOWARN)
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS    += $(SAN_FLAGS)
LDFLAGS   += $(SAN_FLAGS)
else
LDFLAGS   += -static
endif
LDLIBS    := -lbpf -lelf -lz

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS  := $(wildcard src/bpf/*.bpf.c)
SKELS     := $(patsubst src/bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
APP_SRCS  := $(wildcard src/*.c src/lib/*.c src/events/*.c src/print/*.c src/tools/*/*.c)
APP_OBJS  := $(patsubst src/%.c,$(OUT)/obj/%.o,$(APP_SRCS))
LIB_OBJS  := $(filter-out $(OUT)/obj/main.o,$(APP_OBJS))
# link names, from the one list of tools
TOOLS     := $(shell sed -n 's/^TOOL.[a-z_]*, *"\([a-z_-]*\)".*/\1/p' src/tools/tools.def)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(OUT)/tests/%,$(HELPER_SRCS))
# 32-bit (i386) fixtures for the compat tests: gcc -m32 -static (gcc-multilib)
HELPER32_SRCS := $(if $(filter x86_64,$(shell uname -m)),$(if $(CROSS_TRIPLE),,$(wildcard tests/helpers32/*.c)))
HELPER_BINS += $(patsubst tests/helpers32/%.c,$(OUT)/tests/%,$(HELPER32_SRCS))
# the probe target, static for the QEMU guests (tests/qemu), which have no C library
HELPER_BINS += $(OUT)/tests/usdt_demo_static

.DELETE_ON_ERROR:
# Skeletons and BPF objects are intermediates of the binary: keep them, or
# every make rebuilds them. (Only these: a bare .SECONDARY would make every
# target secondary and stop the version stamp from being remade.)
.SECONDARY: $(FUZZ_LIB_OBJS) $(SKELS) $(patsubst src/bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
.PHONY: all deps test-deps clean check run test unit e2e bench helpers format test-fresh fuzz fuzz-build \
	test-arm64 install uninstall deb soak

all: $(OUT)/procsnoop $(addprefix $(OUT)/,$(TOOLS))

deps:
	$(Q)scripts/deps.sh

test-deps:
	$(Q)scripts/deps.sh --test

$(OUT)/procsnoop: $(APP_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(addprefix $(OUT)/,$(TOOLS)): $(OUT)/procsnoop
	$(Q)ln -sf procsnoop $@

# The objects that print PS_VERSION are rebuilt when it changes (a commit), or
# one binary reports two versions (ready line vs --version).
$(OUT)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(OUT)/obj/main.o $(OUT)/obj/lib/session.o $(OUT)/obj/lib/metrics.o: $(OUT)/version.stamp
FORCE:

$(OUT)/obj/%.o: src/%.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# llvm-strip -g drops the DWARF only (a quarter of the embedded object): .BTF and
# .BTF.ext, which CO-RE and the verifier's line info need, stay.
$(OUT)/bpf/%.bpf.o: src/bpf/%.bpf.c
	@mkdir -p $(dir $@)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# Unit tests link what they use from the user-space core (an archive of
# everything but main).
$(OUT)/libprocsnoop.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/tests/%: tests/unit/%.c $(OUT)/libprocsnoop.a
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Test helper programs (process fixtures): plain C, dynamically linked is fine.
$(OUT)/tests/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(HELPER_CC) -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -o $@ $< -lpthread

$(OUT)/tests/usdt_demo_static: tests/helpers/usdt_demo.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) -static -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter $(CLANG_NOWARN) -o $@ $< -lpthread

$(OUT)/tests/%: tests/helpers32/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC32,$@)
	$(Q)$(HELPER_CC) -m32 -static -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -o $@ $<

helpers: $(HELPER_BINS)

unit: $(UNIT_BINS)

# The README's commands. The build is a sub-make that starts once the deps are
# installed: as prerequisites beside deps, `make -j` would compile before gcc
# and clang exist.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(OUT)/procsnoop exec $(ARGS)

# make check SAN=1: the suite runs the sanitizer build (every report, a leak at
# exit included, fails the test that caused it); the tests of the shipped static
# binary (test_build, test_qemu) get the static build, made beside it in
# STATIC_OUT, and test_fresh builds and tests its own, static, in a chroot.
STATIC_OUT ?= build
check: test-deps
	$(Q)$(MAKE) --no-print-directory all unit helpers
ifeq ($(SAN),1)
	$(Q)$(MAKE) --no-print-directory SAN= OUT=$(STATIC_OUT) all helpers
	$(Q)PS_BUILD=$(abspath $(OUT)) PS_STATIC_BUILD=$(abspath $(STATIC_OUT)) python3 tests/run.py $(TESTS)
else
	$(Q)PS_BUILD=$(abspath $(OUT)) python3 tests/run.py $(TESTS)
endif

# The end-to-end subset on Debian's arm64 6.1 and 6.12 under qemu-system-aarch64 (TCG): the
# arm64 6.12 boot (~90 s) is too slow for the suite, which boots only arm64 6.1.
test-arm64:
	$(Q)scripts/deps.sh --arm64
	$(Q)PS_QEMU_SLOW=1 PS_BUILD=$(abspath $(OUT)) python3 tests/run.py test_qemu_arm64

# The README's two commands on a minimal Debian 12 (debootstrap), from a clone of HEAD.
test-fresh:
	$(Q)tests/fresh/run.sh $(abspath $(OUT))

test: check

bench: all
	$(Q)$(MAKE) -s -C bench OUT=$(abspath $(OUT))

# libFuzzer targets (tests/fuzz/fuzz_*.c) for every parser of hostile data,
# built with clang, ASan and UBSan from the parsers' own sources (no BPF
# needed), in $(OUT)/fuzz. `make fuzz` runs each for FUZZ_SECONDS.
FUZZ_OUT  := $(OUT)/fuzz
FUZZ_SECONDS ?= 20
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Wall -Werror -Wno-unused-parameter -Isrc \
	-DPS_VERSION='"fuzz"' $(FUZZ_SAN)
FUZZ_LIB_SRCS := src/lib/transport.c src/lib/opts.c src/lib/out.c src/lib/json.c \
	src/lib/cgroup.c src/lib/bpfutil.c src/lib/procstat.c src/tools/probe/elf.c \
	src/tools/probe/spec.c src/tools/trace/procparse.c
FUZZ_LIB_OBJS := $(patsubst src/%.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_LIB_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_OUT)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ -lbpf -lelf -lz

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh $(abspath $(FUZZ_OUT)) $(FUZZ_SECONDS)

# Install (docs/fleet.md). The binary is the only program in $(SBINDIR): the
# short names (execsnoop, exitsnoop, bashreadline) are links in $(TOOLDIR),
# off PATH, so libbpf-tools' /usr/sbin/execsnoop and friends stay theirs.
# logrotate and the service's environment file live in /etc whatever the
# prefix: logrotate reads only /etc/logrotate.d, the unit names /etc/default.
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
TOOLDIR     ?= $(PREFIX)/lib/procsnoop/bin
MANDIR      ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR  ?= /etc
# procsnoop(8) and one page per tool of tools.def (a tool without its page fails here)
TOOL_NAMES  := $(shell sed -n 's/^TOOL.\([a-z_]*\),.*/\1/p' src/tools/tools.def)
MANPAGES    := man/procsnoop.8 $(patsubst %,man/procsnoop-%.8,$(TOOL_NAMES))
INSTALL     ?= install

# The unit names the binary where this install puts it.
$(OUT)/procsnoop.service: dist/procsnoop.service.in FORCE
	@mkdir -p $(dir $@)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@.tmp && \
		{ cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }

install: $(OUT)/procsnoop $(OUT)/procsnoop.service
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(TOOLDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/default \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(INSTALL) -m 0755 $(OUT)/procsnoop $(DESTDIR)$(SBINDIR)/procsnoop
	$(Q)for t in $(TOOLS); do \
		echo "ln -sfr $(DESTDIR)$(SBINDIR)/procsnoop $(DESTDIR)$(TOOLDIR)/$$t"; \
		ln -sfr $(DESTDIR)$(SBINDIR)/procsnoop $(DESTDIR)$(TOOLDIR)/$$t || exit 1; \
	done
	$(INSTALL) -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 dist/procsnoop.bash-completion $(DESTDIR)$(COMPLETIONDIR)/procsnoop
	$(INSTALL) -m 0644 $(OUT)/procsnoop.service $(DESTDIR)$(UNITDIR)/procsnoop.service
	$(INSTALL) -m 0644 dist/procsnoop.default $(DESTDIR)$(SYSCONFDIR)/default/procsnoop
	$(INSTALL) -m 0644 dist/procsnoop.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/procsnoop

# Removes what install put there, and the directories only we own; never
# /var/log/procsnoop (the logs are the operator's).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/procsnoop $(addprefix $(DESTDIR)$(TOOLDIR)/,$(TOOLS)) \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MANPAGES))) \
		$(DESTDIR)$(COMPLETIONDIR)/procsnoop $(DESTDIR)$(UNITDIR)/procsnoop.service \
		$(DESTDIR)$(SYSCONFDIR)/default/procsnoop $(DESTDIR)$(SYSCONFDIR)/logrotate.d/procsnoop
	-rmdir $(DESTDIR)$(TOOLDIR) $(DESTDIR)$(PREFIX)/lib/procsnoop 2>/dev/null

# The Debian package (debian/), with Debian's tools. It reuses $(OUT)'s binary
# when it is up to date (debian/rules runs `make all`); the .deb, .buildinfo and
# .changes land in $(OUT)/deb, not in the parent directory.
DEBOUT = $(abspath $(OUT))/deb
deb:
	$(Q)rm -rf $(DEBOUT) && mkdir -p $(DEBOUT)
	$(Q)PS_OUT=$(abspath $(OUT)) PS_DEBOUT=$(DEBOUT) PS_VERSION_STR='$(VERSION)' \
		dpkg-buildpackage -b -us -uc -jauto --buildinfo-option=-u$(DEBOUT) \
		--changes-option=-u$(DEBOUT) --buildinfo-file=$(DEBOUT)/procsnoop.buildinfo \
		--changes-file=$(DEBOUT)/procsnoop.changes >$(DEBOUT)/build.log 2>&1 || \
		{ tail -n 30 $(DEBOUT)/build.log; exit 1; }
	$(Q)ls $(DEBOUT)/*.deb

# Not in CI: SOAK_SECONDS (default 600) of storm with every tracer at once (bench/soak.py).
soak: all
	$(Q)$(MAKE) -s -C bench OUT=$(abspath $(OUT)) storm
	$(Q)SOAK_SECONDS=$(or $(SOAK_SECONDS),600) python3 bench/soak.py $(abspath $(OUT))

# Kernel style (.clang-format); tests/e2e/test_style.py checks the tree passes.
format:
	$(Q)git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(OUT)

-include $(APP_OBJS:.o=.d) $(FUZZ_LIB_OBJS:.o=.d) $(patsubst src/bpf/%.bpf.c,$(OUT)/bpf/%.bpf.d,$(BPF_SRCS))
