# Weft — one top-level Makefile. Everything lands under build/ ($(BUILD)).
# Quiet unless V=1. Components are discovered by folder, so adding a .c file needs no edit here:
#   lib/*.c                      -> libweft.a       (shared helpers: CNI protocol, addresses, JSON)
#   ipam/*.c minus main.c        -> libweftipam.a   (allocator + store)      ipam/main.c -> weft-ipam
#   cni-plugin/*.c minus main.c  -> libweftcni.a    (plugin logic, netlink)  cni-plugin/main.c -> weft
#   tests/unit/test_*.c          -> one cmocka binary each, linked against all three libraries
#   daemon/*.c minus main.c      -> libweftd.a      (weftd's modules)         daemon/main.c -> weftd
#   cli/*.c minus main.c         -> libweftcli.a    (weftctl's commands)      cli/main.c -> weftctl
#   bpf/*.bpf.c                  -> BPF objects (clang -target bpf, against vmlinux.h from the running
#                                   kernel's BTF) and libbpf skeletons build/bpf/<name>.skel.h
#   tests/fuzz/fuzz_*.c          -> one libFuzzer binary each (clang)
#   tests/bench/*.c              -> build/tools/<name> (the benches' tools); tests/bench/*.bpf.c ->
#                                   their BPF objects and skeletons under build/bpf/bench/

BUILD    ?= build
CC       ?= cc
V        ?= 0
SANITIZE ?= 0
PREFIX   ?= /usr/local
CNI_BIN_DIR ?= /opt/cni/bin

Q := $(if $(filter 1,$(V)),,@)

WARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wshadow -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -Ilib -Ibpf -I$(BUILD)/bpf -MMD -MP
PKGS    := jansson libmnl
CFLAGS  += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Only the daemon, the CLI and tests link libbpf and libev: the CNI plugin stays small and fast to start.
DAEMON_LDLIBS := -lbpf -lelf -lz -lev

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRCS   := $(wildcard lib/*.c)
IPAM_SRCS  := $(filter-out ipam/main.c,$(wildcard ipam/*.c))
CNI_SRCS   := $(filter-out cni-plugin/main.c,$(wildcard cni-plugin/*.c))
DAEMON_SRCS:= $(filter-out daemon/main.c,$(wildcard daemon/*.c))
CLI_SRCS   := $(filter-out cli/main.c,$(wildcard cli/*.c))
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
TOOL_SRCS  := $(filter-out %.bpf.c,$(wildcard tests/bench/*.c))
# Bench-only BPF (tests/bench/*.bpf.c): objects and skeletons under build/bpf/bench/.
BENCH_BPF_SKELS := $(patsubst tests/bench/%.bpf.c,$(BUILD)/bpf/bench/%.skel.h,$(wildcard tests/bench/*.bpf.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBWEFT     := $(BUILD)/lib/libweft.a
LIBWEFTIPAM := $(BUILD)/lib/libweftipam.a
LIBWEFTCNI  := $(BUILD)/lib/libweftcni.a
LIBWEFTD    := $(BUILD)/lib/libweftd.a
LIBWEFTCLI  := $(BUILD)/lib/libweftcli.a
ALL_LIBS    := $(LIBWEFTCLI) $(LIBWEFTD) $(LIBWEFTCNI) $(LIBWEFTIPAM) $(LIBWEFT)

BINS       := $(BUILD)/bin/weft $(BUILD)/bin/weft-ipam
ifneq ($(wildcard daemon/main.c),)
BINS       += $(BUILD)/bin/weftd
endif
ifneq ($(wildcard cli/main.c),)
BINS       += $(BUILD)/bin/weftctl
endif
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_BINS  := $(patsubst tests/bench/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

.SECONDARY:
.PHONY: all libs unit tools fuzz-build test unit-test fuzz bench demo deps install clean
all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIBWEFT): $(call obj,$(LIB_SRCS))
$(LIBWEFTIPAM): $(call obj,$(IPAM_SRCS))
$(LIBWEFTCNI): $(call obj,$(CNI_SRCS))
$(LIBWEFTD): $(call obj,$(DAEMON_SRCS))
$(LIBWEFTCLI): $(call obj,$(CLI_SRCS))
$(BUILD)/lib/%.a:
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/weft: $(call obj,cni-plugin/main.c) $(ALL_LIBS)
$(BUILD)/bin/weft-ipam: $(call obj,ipam/main.c) $(LIBWEFTIPAM) $(LIBWEFT)
$(BUILD)/bin/weftd: $(call obj,daemon/main.c) $(LIBWEFTD) $(LIBWEFTIPAM) $(LIBWEFT)
$(BUILD)/bin/weftctl: $(call obj,cli/main.c) $(LIBWEFTCLI) $(LIBWEFT)
$(BUILD)/bin/weftd $(BUILD)/bin/weftctl: LDLIBS += $(DAEMON_LDLIBS)

# ---- BPF: vmlinux.h from the running kernel, objects, skeletons ------------------------------
# Daemon and test objects include the skeletons, so they wait for them.
$(call obj,$(DAEMON_SRCS) daemon/main.c $(UNIT_SRCS)): | $(BPF_SKELS)
# BPF_EXTRA_CFLAGS lets tests build a second, different object (the upgrade test).
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I$(BUILD)/bpf -Ibpf -Ilib $(BPF_EXTRA_CFLAGS)
$(BUILD)/bpf/vmlinux.h:
	@mkdir -p $(dir $@)
	@test -r /sys/kernel/btf/vmlinux || { echo "no /sys/kernel/btf/vmlinux: the kernel has no BTF"; exit 1; }
	$(if $(Q),@echo "  BTF     $@")
	$(Q)bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/bpf/vmlinux.h $(wildcard bpf/*.h bpf/lib/*.h)
	$(if $(Q),@echo "  BPF     $<")
	$(Q)clang $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(if $(Q),@echo "  SKEL    $@")
	$(Q)bpftool gen skeleton $< name weft_$(subst -,_,$*) > $@.tmp && mv $@.tmp $@
$(call obj,$(TOOL_SRCS)): | $(BENCH_BPF_SKELS)
$(BUILD)/bpf/bench/%.bpf.o: tests/bench/%.bpf.c $(BUILD)/bpf/vmlinux.h
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BPF     $<")
	$(Q)clang $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/bpf/bench/%.skel.h: $(BUILD)/bpf/bench/%.bpf.o
	$(if $(Q),@echo "  SKEL    $@")
	$(Q)bpftool gen skeleton $< name $(subst -,_,$*) > $@.tmp && mv $@.tmp $@
$(BUILD)/bin/%:
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS) -o $@

# Unit tests link every library; the linker only pulls the objects a test uses.
# -Wl,--wrap=SYMBOL lines in a test's source ("// WRAP: sym1 sym2") become linker flags.
unit: $(UNIT_BINS)
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $< $(ALL_LIBS) \
	    $(addprefix -Wl$(,)--wrap=,$(shell sed -n 's|^// WRAP: ||p' tests/unit/$*.c)) \
	    $(LDLIBS) $(DAEMON_LDLIBS) -lcmocka -o $@

tools: $(TOOL_BINS)
$(BUILD)/tools/%: $(BUILD)/obj/tests/bench/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $< $(ALL_LIBS) $(LDLIBS) $(DAEMON_LDLIBS) -lm -o $@

# libFuzzer harnesses: clang only. The libraries are rebuilt with clang and fuzzer
# instrumentation under $(BUILD)/fuzzlib; each harness links them as archives, so it pulls only
# the objects it uses.
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -I. -Ilib -Ibpf -I$(BUILD)/bpf $(FUZZ_SAN) \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_LIBS   := $(patsubst $(BUILD)/%,$(BUILD)/fuzzlib/%,$(ALL_LIBS))
ifeq ($(FUZZ_INSTRUMENT),1)
CFLAGS  += -fsanitize=fuzzer-no-link $(FUZZ_SAN)
endif
libs: $(ALL_LIBS)
fuzz-build: $(BPF_SKELS)
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzzlib CC=clang FUZZ_INSTRUMENT=1 libs
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BINS)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  FUZZ    $@")
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIBS) $(LDLIBS) $(DAEMON_LDLIBS) -o $@

, := ,

# ---- what people type -------------------------------------------------------------------------
DEB_PKGS := build-essential pkg-config clang llvm libclang-rt-14-dev libjansson-dev libmnl-dev \
            libcmocka-dev libbpf-dev libelf-dev zlib1g-dev libev-dev bpftool \
            iproute2 iputils-ping socat jq iperf3 procps util-linux time nftables bird2 gobgpd \
            containernetworking-plugins golang-go golang-github-appc-cni-dev

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing || exit 1; \
	  for svc in bird:bird2 gobgpd:gobgpd; do \
	    case " $$missing " in *" $${svc#*:} "*) \
	      if [ -d /run/systemd/system ]; then \
	        echo "make deps: disabling $${svc%%:*}.service (tests run their own peers in namespaces)"; \
	        systemctl disable --now "$${svc%%:*}.service" >/dev/null 2>&1 || true; \
	      fi ;; \
	    esac; \
	  done; \
	fi

test: deps
	$(Q)$(MAKE) --no-print-directory all unit tools
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/san SANITIZE=1 all unit
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)BUILD=$(BUILD) bash tests/run

unit-test: all unit
	$(Q)BUILD=$(BUILD) bash tests/run unit

fuzz: deps fuzz-build
	$(Q)BUILD=$(BUILD) FUZZ_SECONDS=$${FUZZ_SECONDS:-300} bash tests/fuzz/run

bench: deps
	$(Q)$(MAKE) --no-print-directory all tools
	$(Q)BUILD=$(BUILD) bash tests/bench/run

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) bash tests/sandbox/demo

install: all
	install -d $(DESTDIR)$(CNI_BIN_DIR)
	install -m 0755 $(BINS) $(DESTDIR)$(CNI_BIN_DIR)/

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
