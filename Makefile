# imgsearch — build, test, demo, benchmark.
#
#   make            build/imgsearch.so (the SQLite extension),
#                   build/imgsearch_vec.so (the vector-only extension),
#                   build/lib/ (the C libraries, ext/imgsearch.h) and
#                   build/imgsearch (the command-line tool, shell/)
#   make install PREFIX=/usr/local   (and DESTDIR=) all of that, the header,
#                   pkg-config files and the man page
#   make test       every test; closes with "N passed, N failed"
#   make test SANITIZE=1   the same under ASan + UBSan (separate build dir)
#   make demo       install missing packages, build, index samples/, search
#   make wasm       build/wasm/: SQLite and the vector-only extension in
#                   WebAssembly (emscripten), with a demo page (wasm/)
#   make bench      benchmark tables (needs ../shared/data; see docs/BENCHMARKS.md)
#   make deps       install the Debian packages this project needs (root)
#   make reliability  the hardening programs at full length (docs/RELIABILITY.md)

CC      ?= cc
CXX     ?= c++
OPT     ?= -O2
# -ffp-contract=off: split hyperplanes must be computed bit-identically on
# every machine (deterministic shadow tables, delete-by-descent).
COMMON  = $(OPT) -g -fPIC -fvisibility=hidden -ffp-contract=off -Wall -Wextra
# ext/ holds the entry point and what both parts share; ext/annoy/ the vector
# table, ext/image/ the image functions.  A file includes its own folder's
# headers by name and the rest through -Iext ("annoy/forest.h").
CFLAGS_ALL   = -std=c11 -D_GNU_SOURCE -Iext $(COMMON) $(CFLAGS)
CXXFLAGS_ALL = -std=c++17 -Iext $(COMMON) -I/usr/include/opencv4 $(CXXFLAGS)
LDFLAGS_ALL  = $(LDFLAGS)

ifeq ($(SANITIZE),1)
  B = build/sanitize
  COMMON += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS_ALL += -fsanitize=address,undefined
  # LeakSanitizer (on by default) exits 1 on a leak, which is also
  # imgsearch's "some files failed"; 23 tells them apart in the tests.
  export ASAN_OPTIONS ?= detect_leaks=1:exitcode=23
else
  B = build
endif

EXT_C   = $(sort $(wildcard ext/*.c ext/*/*.c))
EXT_CXX = $(sort $(wildcard ext/*.cpp ext/*/*.cpp))
EXT_H   = $(wildcard ext/*.h ext/*/*.h)
EXT_OBJ = $(EXT_C:ext/%.c=$(B)/obj/%.o) $(EXT_CXX:ext/%.cpp=$(B)/obj/%.o)
OPENCV_LIBS = -lopencv_calib3d -lopencv_features2d -lopencv_imgproc -lopencv_core
# The decoders besides stb_image (ext/image/image_codec.h), one file each.
IMAGE_CODEC_C    = ext/image/image_webp.c ext/image/image_tiff.c ext/image/image_heif.c \
                   ext/image/image_jxl.c
IMAGE_CODEC_LIBS = -lwebp -ltiff -lheif -ljxl
EXT_LIBS = $(if $(EXT_CXX),$(OPENCV_LIBS)) $(IMAGE_CODEC_LIBS) -lm
# The vector-only build: the annoy table and vec_* functions, C and libm
# only (no OpenCV, no stb_image, no C++ runtime); entry point
# sqlite3_imgsearchvec_init (ext/imgsearch_vec.c).
VEC_C   = ext/error.c ext/interrupt.c ext/shadow.c ext/imgsearch_vec.c $(sort $(wildcard ext/annoy/*.c))
VEC_OBJ = $(VEC_C:ext/%.c=$(B)/obj/%.o)
VERSION := $(shell sed -n 's/^\#define IMGSEARCH_VERSION  *"\(.*\)"/\1/p' ext/imgsearch.h)

DEB_PACKAGES = libsqlite3-dev sqlite3 libstb-dev libopencv-core-dev \
  libopencv-imgproc-dev libopencv-features2d-dev libopencv-calib3d-dev \
  libreadline-dev zlib1g-dev libwebp-dev libtiff-dev libheif-dev libjxl-dev \
  pkgconf python3 python3-pip python3-setuptools python3-wheel python3-numpy

.PHONY: all test demo bench deps clean reliability install wasm
all: $(B)/imgsearch.so $(B)/imgsearch_vec.so

$(B)/obj/%.o: ext/%.c $(EXT_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@
$(B)/obj/%.o: ext/%.cpp $(EXT_H)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS_ALL) -c $< -o $@
# The hot loops: distance kernels and margins vectorise at -O3.
$(B)/obj/annoy/distance.o $(B)/obj/annoy/forest.o: OPT = -O3

# Linked with the C++ driver only when there is C++ (OpenCV) inside.
$(B)/imgsearch.so: $(EXT_OBJ) ext/exports.map
	$(if $(EXT_CXX),$(CXX),$(CC)) -shared -Wl,--version-script=ext/exports.map $(LDFLAGS_ALL) -o $@ $(EXT_OBJ) $(EXT_LIBS)
$(B)/imgsearch_vec.so: $(VEC_OBJ) ext/exports_vec.map
	$(CC) -shared -Wl,--version-script=ext/exports_vec.map $(LDFLAGS_ALL) -o $@ $(VEC_OBJ) -lm

# ---- tests ------------------------------------------------------------------
# Unit tests link single modules; the SQL-level tests load the built .so.
TEST_BIN = $(B)/tests
$(TEST_BIN):
	mkdir -p $@
# Each unit test links the modules it tests, compiled with -DSQLITE_CORE.
UNIT_forest = ext/error.c ext/annoy/forest.c ext/annoy/distance.c
UNIT_image  = ext/error.c ext/image/image.c $(IMAGE_CODEC_C)
LIBS_image  = $(IMAGE_CODEC_LIBS)
UNIT_copy_tier = shell/copy_tier.c
UNIT_vlad   = ext/error.c ext/interrupt.c ext/image/sift_blob.c ext/image/sample.c ext/image/vlad.c ext/image/pca.c
$(TEST_BIN)/test_%: tests/unit/test_%.c $(EXT_H) tests/bytes.h | $(TEST_BIN)
	$(CC) $(CFLAGS_ALL) -DSQLITE_CORE -o $@ $< $(UNIT_$*) $(LDFLAGS_ALL) -lsqlite3 $(LIBS_$*) -lm
$(TEST_BIN)/%: tests/sql/%.c tests/sql/testlib.h | $(TEST_BIN)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) -lsqlite3 -lm

$(TEST_BIN)/sqltest: tests/sqltest.c tests/sql/testlib.h | $(TEST_BIN)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) -lsqlite3

TEST_PROGRAMS = $(TEST_BIN)/sqltest $(patsubst tests/unit/%.c,$(TEST_BIN)/%,$(wildcard tests/unit/test_*.c)) \
                $(patsubst tests/sql/%.c,$(TEST_BIN)/%,$(wildcard tests/sql/test_*.c))

# make test also installs into $(B)/test-prefix, for tests/library.sh.
test: $(B)/imgsearch.so $(B)/imgsearch_vec.so $(TEST_PROGRAMS)
	@rm -rf $(B)/test-prefix && $(MAKE) -s --no-print-directory install PREFIX=$(CURDIR)/$(B)/test-prefix
	@BUILD=$(B) CC='$(CC)' LDFLAGS_ALL='$(LDFLAGS_ALL)' sh tests/run.sh

# ---- the C libraries: build/lib/ (ext/imgsearch.h) --------------------------
# The extension's sources compiled again with -DSQLITE_CORE (direct
# sqlite3_* calls; objects in $(B)/shell/ext/, the tool links them too):
# libimgsearch (both entry points) and libimgsearch_vec (the vector-only
# one), each static and shared (soname lib*.so.MAJOR).
CORE_OBJ     = $(EXT_C:ext/%.c=$(B)/shell/ext/%.o) $(EXT_CXX:ext/%.cpp=$(B)/shell/ext/%.o)
CORE_VEC_OBJ = $(VEC_C:ext/%.c=$(B)/shell/ext/%.o)
SOMAJOR = $(firstword $(subst ., ,$(VERSION)))
LIBS_BUILT = $(addprefix $(B)/lib/,libimgsearch.a libimgsearch_vec.a libimgsearch.so libimgsearch_vec.so)
all: $(LIBS_BUILT)
$(B)/lib/libimgsearch.a: $(CORE_OBJ)
$(B)/lib/libimgsearch_vec.a: $(CORE_VEC_OBJ)
$(B)/lib/%.a:
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^
$(B)/lib/libimgsearch.so: $(CORE_OBJ) ext/library.map
	@mkdir -p $(@D)
	$(CXX) -shared -Wl,-soname,libimgsearch.so.$(SOMAJOR) -Wl,--version-script=ext/library.map \
	  $(LDFLAGS_ALL) -o $@ $(CORE_OBJ) -lsqlite3 $(EXT_LIBS)
$(B)/lib/libimgsearch_vec.so: $(CORE_VEC_OBJ) ext/exports_vec.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libimgsearch_vec.so.$(SOMAJOR) -Wl,--version-script=ext/exports_vec.map \
	  $(LDFLAGS_ALL) -o $@ $(CORE_VEC_OBJ) -lsqlite3 -lm

# samples/embed.c: a program with the vector-only library in its own
# sqlite3 (run by tests/run.sh; tests/install.sh builds it again from an
# installed copy, through pkg-config).
$(B)/samples/embed: samples/embed.c ext/imgsearch.h $(B)/lib/libimgsearch_vec.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/lib/libimgsearch_vec.a $(LDFLAGS_ALL) -lsqlite3 -lm
test: $(B)/samples/embed $(LIBS_BUILT)

# ---- the command-line tool: build/imgsearch ---------------------------------
# shell/*.c linked with libimgsearch.a; the extension is registered with
# sqlite3_auto_extension.  sql/schema.sql is compiled in as a C string.
SHELL_C   = $(sort $(wildcard shell/*.c))
SHELL_OBJ = $(SHELL_C:shell/%.c=$(B)/shell/%.o)
SHELL_LIBS = $(B)/lib/libimgsearch.a -lsqlite3 -lreadline -lpthread $(EXT_LIBS)

all: $(B)/imgsearch

$(B)/shell:
	mkdir -p $@
$(B)/shell/schema.h: sql/schema.sql | $(B)/shell
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@
$(B)/shell/%.o: shell/%.c $(wildcard shell/*.h) $(B)/shell/schema.h | $(B)/shell
	$(CC) $(CFLAGS_ALL) -I$(B)/shell -c $< -o $@
$(B)/shell/thumbnail.o: ext/image/image.h
$(B)/shell/search_words.o: ext/image/sift_blob.h
# --version: the version (ext/imgsearch.h) and the commit the tool was built from.
IMGSEARCH_COMMIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(B)/shell/main.o: CFLAGS += -DIMGSEARCH_COMMIT='"$(IMGSEARCH_COMMIT)"'
# stb_image_write's JPEG bit writer shifts set bits out of a signed int;
# GCC defines that (it does not use C11's latitude for signed <<), so
# UBSan's shift-base check is off for this one third-party file.
ifeq ($(SANITIZE),1)
$(B)/shell/thumbnail.o: COMMON += -fno-sanitize=shift-base
endif
$(B)/shell/ext/%.o: ext/%.c $(EXT_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -DSQLITE_CORE -c $< -o $@
$(B)/shell/ext/%.o: ext/%.cpp $(EXT_H)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS_ALL) -DSQLITE_CORE -c $< -o $@
$(B)/shell/ext/annoy/distance.o $(B)/shell/ext/annoy/forest.o: OPT = -O3
$(B)/imgsearch: $(SHELL_OBJ) $(B)/lib/libimgsearch.a
	$(CXX) $(LDFLAGS_ALL) -o $@ $(SHELL_OBJ) $(SHELL_LIBS)

# tests/shell/test_shell.c drives build/imgsearch end to end (run by run.sh).
$(TEST_BIN)/test_shell: tests/shell/test_shell.c tests/sql/testlib.h | $(TEST_BIN)
	$(CC) $(CFLAGS_ALL) -Itests/sql -o $@ $< $(LDFLAGS_ALL) -lsqlite3 -lm
test: $(B)/imgsearch $(TEST_BIN)/test_shell
# ---- end of the command-line tool -------------------------------------------

# ---- make install PREFIX=... [DESTDIR=...] ----------------------------------
# PREFIX/lib: the libraries (lib*.so.VERSION, .so.MAJOR and .so links),
# lib/imgsearch/: the loadable extensions, lib/pkgconfig/: imgsearch.pc and
# imgsearch-vec.pc (packaging/*.pc.in), include/imgsearch.h, bin/imgsearch,
# share/man/man1/imgsearch.1.  tests/install.sh checks an install into a
# scratch prefix (make test does one).
PREFIX ?= /usr/local
INSTALL_DIR = $(DESTDIR)$(PREFIX)
install: all
	install -d $(INSTALL_DIR)/bin $(INSTALL_DIR)/include $(INSTALL_DIR)/lib/imgsearch \
	  $(INSTALL_DIR)/lib/pkgconfig $(INSTALL_DIR)/share/man/man1
	install -m 755 $(B)/imgsearch $(INSTALL_DIR)/bin/
	install -m 644 ext/imgsearch.h $(INSTALL_DIR)/include/
	install -m 755 $(B)/imgsearch.so $(B)/imgsearch_vec.so $(INSTALL_DIR)/lib/imgsearch/
	install -m 644 $(B)/lib/libimgsearch.a $(B)/lib/libimgsearch_vec.a $(INSTALL_DIR)/lib/
	for l in libimgsearch libimgsearch_vec; do \
	  install -m 755 $(B)/lib/$$l.so $(INSTALL_DIR)/lib/$$l.so.$(VERSION) && \
	  ln -sf $$l.so.$(VERSION) $(INSTALL_DIR)/lib/$$l.so.$(SOMAJOR) && \
	  ln -sf $$l.so.$(SOMAJOR) $(INSTALL_DIR)/lib/$$l.so || exit 1; done
	for f in imgsearch.pc imgsearch-vec.pc; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' packaging/$$f.in \
	    > $(INSTALL_DIR)/lib/pkgconfig/$$f || exit 1; done
	sed -e 's|@VERSION@|$(VERSION)|' packaging/imgsearch.1.in > $(INSTALL_DIR)/share/man/man1/imgsearch.1

# ---- reliability (docs/RELIABILITY.md) --------------------------------------
# tests/reliability/NAME.c -> $(B)/reliability/NAME, run as
#   NAME EXTENSION [--full]
# A short run of each is part of `make test`; `make reliability` runs each
# at the length docs/RELIABILITY.md reports.
REL_BIN = $(B)/reliability
REL_PROGRAMS = $(patsubst tests/reliability/%.c,$(REL_BIN)/%,$(wildcard tests/reliability/*.c))
$(REL_BIN):
	mkdir -p $@
$(REL_BIN)/%: tests/reliability/%.c tests/sql/testlib.h tests/bytes.h | $(REL_BIN)
	$(CC) $(CFLAGS_ALL) -Itests/sql -o $@ $< $(LDFLAGS_ALL) -lsqlite3 -lm
# hostile_images writes its PNGs through zlib (zlib1g-dev).
$(REL_BIN)/hostile_images: LDFLAGS_ALL += -lz
test: $(REL_PROGRAMS)
reliability: $(B)/imgsearch.so $(B)/imgsearch $(REL_PROGRAMS)
	@BUILD=$(B) sh tests/reliability/run.sh

# ---- WebAssembly: make wasm -> build/wasm/ (wasm/) ---------------------------
# SQLite's amalgamation (wasm/fetch_sqlite.sh: pinned in the npm registry,
# never committed) and the vector-only sources (VEC_C, -DSQLITE_CORE)
# compiled with Debian's emscripten into one module: build/wasm/imgsearch.js
# (the loader and wasm/api.js) and imgsearch.wasm.  SQLite registers the
# extension itself (SQLITE_EXTRA_INIT, wasm/imgsearch_wasm.c).  The demo
# page and its scripts are copied beside them: serve build/wasm/ over HTTP.
# The same folder with SANITIZE=1 (the module is not instrumented).
W = build/wasm
EMCC ?= emcc
# SQLite 3.44 added xIntegrity to sqlite3_module; ext/ fills the 3.40 fields
# (Debian 12's), and the rest are zero as they should be.
WASM_CFLAGS = -std=c11 -D_GNU_SOURCE -Iext -I$(W)/sqlite -O2 -ffp-contract=off -Wall -Wextra \
  -Wno-missing-field-initializers -DSQLITE_CORE
# no threads, no dlopen, temporary tables in memory; SQLite calls the
# extension's registration from sqlite3_initialize()
WASM_SQLITE_FLAGS = -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_DEFAULT_MEMSTATUS=0 \
  -DSQLITE_TEMP_STORE=3 -DSQLITE_EXTRA_INIT=imgsearch_wasm_extra_init
# the C API wasm/api.js calls
WASM_EXPORTS = _malloc _free _sqlite3_libversion _sqlite3_open_v2 _sqlite3_close_v2 _sqlite3_errmsg \
  _sqlite3_prepare_v2 _sqlite3_step _sqlite3_reset _sqlite3_finalize _sqlite3_clear_bindings \
  _sqlite3_bind_parameter_count _sqlite3_bind_null _sqlite3_bind_int64 _sqlite3_bind_double \
  _sqlite3_bind_text _sqlite3_bind_blob _sqlite3_bind_zeroblob _sqlite3_column_count \
  _sqlite3_column_name _sqlite3_column_type _sqlite3_column_int64 _sqlite3_column_double \
  _sqlite3_column_text _sqlite3_column_blob _sqlite3_column_bytes
comma := ,
space := $(subst x, ,x)
WASM_LDFLAGS = -O2 -sMODULARIZE=1 -sEXPORT_NAME=createImgsearch -sENVIRONMENT=web,node \
  -sALLOW_MEMORY_GROWTH=1 -sWASM_BIGINT=1 -sEXPORTED_FUNCTIONS=$(subst $(space),$(comma),$(strip $(WASM_EXPORTS))) \
  -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8 \
  --pre-js wasm/node_pre.js --post-js wasm/api.js
WASM_OBJ = $(W)/obj/sqlite3.o $(W)/obj/imgsearch_wasm.o $(VEC_C:ext/%.c=$(W)/obj/%.o)

WASM_PAGE = $(addprefix $(W)/,demo.html demo.js vectors.js)
wasm: $(W)/imgsearch.js $(WASM_PAGE)
$(W)/sqlite/sqlite3.c: wasm/fetch_sqlite.sh
	sh wasm/fetch_sqlite.sh $(@D)
$(W)/obj/sqlite3.o: $(W)/sqlite/sqlite3.c
	@mkdir -p $(@D)
	$(EMCC) -O2 $(WASM_SQLITE_FLAGS) -c $< -o $@
$(W)/obj/imgsearch_wasm.o: wasm/imgsearch_wasm.c ext/imgsearch.h $(W)/sqlite/sqlite3.c
	@mkdir -p $(@D)
	$(EMCC) $(WASM_CFLAGS) -c $< -o $@
$(W)/obj/%.o: ext/%.c $(EXT_H) $(W)/sqlite/sqlite3.c
	@mkdir -p $(@D)
	$(EMCC) $(WASM_CFLAGS) -c $< -o $@
$(W)/obj/annoy/distance.o $(W)/obj/annoy/forest.o: WASM_CFLAGS += -O3
# emcc's JavaScript optimiser needs Debian's node-acorn, in /usr/share/nodejs:
# Debian's nodejs looks there, a node from elsewhere (NodeSource) does not.
$(W)/imgsearch.js: $(WASM_OBJ) wasm/node_pre.js wasm/api.js
	NODE_PATH=/usr/share/nodejs$${NODE_PATH:+:$$NODE_PATH} $(EMCC) $(WASM_LDFLAGS) -o $@ $(WASM_OBJ)
$(WASM_PAGE): $(W)/%: wasm/%
	@mkdir -p $(@D)
	cp $< $@
# make test builds it when emscripten and Node.js are installed (Debian:
# emscripten nodejs npm); tests/wasm/run.sh reports a skip when they are not.
WASM_TOOLS := $(shell command -v $(EMCC) >/dev/null 2>&1 && command -v node >/dev/null 2>&1 && echo yes)
test: $(if $(WASM_TOOLS),wasm)

# ---- everything else --------------------------------------------------------
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	fi

demo: deps
	$(MAKE) all
	@BUILD=$(B) sh tests/demo.sh

bench: $(B)/imgsearch.so
	@sh tests/bench/run.sh

# img_sift against OpenCV called directly (tests/bench/quality.sh part 6):
# links the extension's image code as built for the tool (-DSQLITE_CORE).
$(B)/bench/bench_overhead: tests/bench/bench_overhead.cpp $(B)/shell/ext/error.o $(B)/shell/ext/image/image.o \
    $(IMAGE_CODEC_C:ext/%.c=$(B)/shell/ext/%.o) $(B)/shell/ext/image/sift_cv.o $(B)/shell/ext/image/sift_blob.o
	mkdir -p $(B)/bench
	$(CXX) $(CXXFLAGS_ALL) -o $@ $^ $(LDFLAGS_ALL) -lsqlite3 -lopencv_imgcodecs $(OPENCV_LIBS) $(IMAGE_CODEC_LIBS)

# the first stage at collection scale (tests/bench/scale.sh eval)
SCALE_EVAL_OBJ = $(addprefix $(B)/shell/ext/, error.o interrupt.o image/sift_blob.o image/sample.o \
    image/pca.o image/vlad.o image/match.o image/words.o image/words_blob.o image/words_match.o \
    image/sift_cv.o)
$(B)/bench/scale_eval: tests/bench/scale_eval.c $(SCALE_EVAL_OBJ)
	mkdir -p $(B)/bench
	$(CXX) -x c -std=c11 -D_GNU_SOURCE -Iext $(COMMON) -DSQLITE_CORE -c tests/bench/scale_eval.c -o $(B)/bench/scale_eval.o
	$(CXX) $(LDFLAGS_ALL) -o $@ $(B)/bench/scale_eval.o $(SCALE_EVAL_OBJ) -lsqlite3 $(OPENCV_LIBS) -lm

# the pixels of verified pairs, aligned (tests/bench/scale.sh tiers)
$(B)/bench/scale_tiers_photo: tests/bench/scale_tiers_photo.c $(B)/shell/ext/error.o \
    $(B)/shell/ext/image/image.o $(IMAGE_CODEC_C:ext/%.c=$(B)/shell/ext/%.o) $(B)/shell/files.o
	mkdir -p $(B)/bench
	$(CC) -std=c11 -D_GNU_SOURCE -Iext -Ishell $(COMMON) -DSQLITE_CORE -o $@ $^ $(LDFLAGS_ALL) \
	    -lsqlite3 $(IMAGE_CODEC_LIBS) -lm

# what dups would call each labelled pair (tests/bench/scale.sh calibrate)
$(B)/bench/scale_tiers_names: tests/bench/scale_tiers_names.c shell/copy_tier.c shell/copy_tier.h
	mkdir -p $(B)/bench
	$(CC) -std=c11 -D_GNU_SOURCE -Ishell $(COMMON) -o $@ tests/bench/scale_tiers_names.c \
	    shell/copy_tier.c $(LDFLAGS_ALL) -lsqlite3 -lm

clean:
	rm -rf build
