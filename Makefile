# ramhost: one build for everything.
#   make          build the `ramhost` binary and the static `init`
#   make check    install what is missing, build, and run every test (unit, sanitizer, fuzz smoke,
#                 integration, QEMU system tests); prints "N passed, N failed"
#   make demo     install what is missing, build the demo ISO and boot it in QEMU up to the ready line
#   make bench    run the benchmarks under bench/ and print their figures
# Sources are found by folder (docs/architecture.md has the layer picture): every .c below lib/, the component
# folders and cli/ (but cli/main.c) is part of the library that the `ramhost` binary, the unit tests and the fuzz
# targets link; ramdisk/init/ is built on its own, static, with lib/ and lib/host/ only, as the boot-time init;
# bootloader/efi/ is the UEFI loader (bootloader/efi/efi.mk). scripts/check-layers.sh checks every #include
# against the layer order before anything is compiled: a wrong-way include fails the build.

CC       ?= cc
CLANG    ?= clang
BUILD    ?= build
CFLAGS   ?= -O2 -g
PKGS     := libarchive libsquashfs1 expat libcrypto libssl zlib libzstd libmicrohttpd jansson
WARN     := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
CPPFLAGS += -I. -Ilib -Ilib/host -Icli
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

COMPONENTS := tardisk image-builder bootloader ramdisk vib pxe-server recovery
srcs_below = $(shell find $(1) -name '*.c' 2>/dev/null | LC_ALL=C sort)
LIB_SRC   := $(call srcs_below,lib $(COMPONENTS)) $(filter-out cli/main.c,$(wildcard cli/*.c))
LIB_SRC   := $(filter-out ramdisk/init/main.c bootloader/efi/%,$(LIB_SRC))
INIT_SRC  := $(wildcard ramdisk/init/*.c)
INIT_LIB_SRC := $(call srcs_below,lib)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

LIB_OBJ      := $(call obj,obj,$(LIB_SRC))
LIB_OBJ_SAN  := $(call obj,asan,$(LIB_SRC))
LIB_OBJ_FUZZ := $(call obj,fuzzobj,$(LIB_SRC))
INIT_OBJ     := $(call obj,initobj,$(INIT_SRC))
INIT_LIB_OBJ := $(call obj,initobj,$(INIT_LIB_SRC))
UNIT_BIN     := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
UNIT_BIN_SAN := $(patsubst tests/unit/%.c,$(BUILD)/unit-asan/%,$(UNIT_SRC))
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all setup check unit demo bench fuzz clean layers
all: $(BUILD)/ramhost $(BUILD)/host/ramhost $(BUILD)/init

# The layer order (docs/architecture.md), checked whenever a source or header changed.
LAYER_SRC := $(shell find lib cli tests bench $(COMPONENTS) -name '*.[ch]' 2>/dev/null)
$(BUILD)/layers.ok: scripts/check-layers.sh $(LAYER_SRC)
	@mkdir -p $(dir $@)
	@bash scripts/check-layers.sh
	@touch $@
layers: $(BUILD)/layers.ok

$(BUILD)/obj/%.o: %.c | $(BUILD)/layers.ok
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/%.o: %.c | $(BUILD)/layers.ok
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# init runs as PID 1 before any library exists: static, and only lib/ plus its own folder.
$(BUILD)/initobj/%.o: %.c | $(BUILD)/layers.ok
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -Os -g -ffunction-sections -fdata-sections $(CPPFLAGS) -DRAMHOST_INIT -MMD -MP -c $< -o $@

$(BUILD)/ramhost: $(BUILD)/obj/cli/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

# The binary images ship as /usr/bin/ramhost (docs/image-builder.md): the library goes in as an archive, so only
# what a host command reaches is linked; every library but libc is linked statically (the booted host execs
# ramhost on its way to the ready line, and under QEMU loading and relocating ten shared libraries from a
# tardisk cost about 200 ms cold and 40 ms warm per exec; libarchive also because Debian's shared one needs
# libxml2 and with it ICU, which its read side and our own tar writer do not); no libmicrohttpd (`pxe` is left
# out: a reference to it is a link error here); not position-independent (a PIE of this size has some 20,000
# relocations to apply at every start); unused sections dropped; stripped.
HOST_LIBS := -no-pie -Wl,--gc-sections -Wl,--as-needed -Wl,-Bstatic -larchive -lsquashfs -lssl -lcrypto -lexpat -ljansson \
	$(filter-out -larchive -lxml2 -lacl -lnettle,$(shell pkg-config --static --libs libarchive 2>/dev/null)) \
	-Wl,-Bdynamic -lpthread
$(BUILD)/hostobj/cli/main.o: cli/main.c | $(BUILD)/layers.ok
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -DRAMHOST_HOST_BINARY -MMD -MP -c $< -o $@

$(BUILD)/libramhost.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/host/ramhost: $(BUILD)/hostobj/cli/main.o $(BUILD)/libramhost.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -s -o $@ $^ $(HOST_LIBS)

# lib/ and lib/host/ go in as an archive, and unused functions are dropped (--gc-sections): init carries only
# what it calls, although lib/host/ files also serve the ramhost binary.
$(BUILD)/initobj/libramhost-init.a: $(INIT_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/init: $(INIT_OBJ) $(BUILD)/initobj/libramhost-init.a
	$(CC) -static -Os -Wl,--gc-sections -o $@ $^

# Unit tests and fuzz targets link the library as an archive: each takes only the objects it reaches, so the
# 200-odd links of `make check` are quick.
$(BUILD)/asan/libramhost.a: $(LIB_OBJ_SAN)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libramhost.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(BUILD)/unit-asan/%: tests/unit/%.c $(BUILD)/asan/libramhost.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

# Fuzz targets: libFuzzer with ASan and UBSan, over the library compiled once by clang.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
$(BUILD)/fuzzobj/%.o: %.c | $(BUILD)/layers.ok
	@mkdir -p $(dir $@)
	$(CLANG) $(WARN) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/fuzzobj/libramhost.a: $(LIB_OBJ_FUZZ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/fuzzobj/libramhost.a
	@mkdir -p $(dir $@)
	$(CLANG) $(WARN) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $^ \
		$(PKG_LIBS) -lpthread

# The UEFI loader (GNU-EFI): bootloader/efi/efi.mk defines EFI_TARGETS ($(BUILD)/ramhost.efi) and its rules.
-include bootloader/efi/efi.mk
all: $(EFI_TARGETS)

unit: $(UNIT_BIN) $(UNIT_BIN_SAN)
fuzz: $(FUZZ_BIN)

setup:
	@bash scripts/setup.sh

# The sub-make runs after setup so that pkg-config sees the libraries setup just installed; it builds on every CPU.
JOBS := $(shell nproc 2>/dev/null || echo 1)
check: setup
	@$(MAKE) --no-print-directory -j$(JOBS) all unit fuzz
	@bash tests/run.sh

demo: setup
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@bash scripts/demo.sh

bench: setup
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@bash bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
