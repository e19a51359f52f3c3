# imgsearch — build, test, demo, benchmark.
#
#   make            build/imgsearch.so (the SQLite extension) and
#                   build/imgsearch (the command-line tool, shell/)
#   make test       every test; closes with "N passed, N failed"
#   make test SANITIZE=1   the same under ASan + UBSan (separate build dir)
#   make demo       install missing packages, build, index samples/, search
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
IMAGE_CODEC_C    = ext/image/image_webp.c ext/image/image_tiff.c ext/image/image_heif.c
IMAGE_CODEC_LIBS = -lwebp -ltiff -lheif
EXT_LIBS = $(if $(EXT_CXX),$(OPENCV_LIBS)) $(IMAGE_CODEC_LIBS) -lm

DEB_PACKAGES = libsqlite3-dev sqlite3 libstb-dev libopencv-core-dev \
  libopencv-imgproc-dev libopencv-features2d-dev libopencv-calib3d-dev \
  libreadline-dev zlib1g-dev libwebp-dev libtiff-dev libheif-dev

.PHONY: all test demo bench deps clean reliability
all: $(B)/imgsearch.so

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

# ---- tests ------------------------------------------------------------------
# Unit tests link single modules; the SQL-level tests load the built .so.
TEST_BIN = $(B)/tests
$(TEST_BIN):
	mkdir -p $@
# Each unit test links the modules it tests, compiled with -DSQLITE_CORE.
UNIT_forest = ext/error.c ext/annoy/forest.c ext/annoy/distance.c
UNIT_image  = ext/error.c ext/image/image.c $(IMAGE_CODEC_C)
LIBS_image  = $(IMAGE_CODEC_LIBS)
UNIT_vlad   = ext/error.c ext/image/sift_blob.c ext/image/sample.c ext/image/vlad.c ext/image/pca.c
$(TEST_BIN)/test_%: tests/unit/test_%.c $(EXT_H) tests/bytes.h | $(TEST_BIN)
	$(CC) $(CFLAGS_ALL) -DSQLITE_CORE -o $@ $< $(UNIT_$*) $(LDFLAGS_ALL) -lsqlite3 $(LIBS_$*) -lm
$(TEST_BIN)/%: tests/sql/%.c tests/sql/testlib.h | $(TEST_BIN)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) -lsqlite3 -lm

$(TEST_BIN)/sqltest: tests/sqltest.c | $(TEST_BIN)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) -lsqlite3

TEST_PROGRAMS = $(TEST_BIN)/sqltest $(patsubst tests/unit/%.c,$(TEST_BIN)/%,$(wildcard tests/unit/test_*.c)) \
                $(patsubst tests/sql/%.c,$(TEST_BIN)/%,$(wildcard tests/sql/test_*.c))

test: $(B)/imgsearch.so $(TEST_PROGRAMS)
	@BUILD=$(B) sh tests/run.sh

# ---- the command-line tool: build/imgsearch ---------------------------------
# shell/*.c plus the extension's sources compiled again with -DSQLITE_CORE
# (direct sqlite3_* calls) and linked in statically; registered with
# sqlite3_auto_extension.  sql/schema.sql is compiled in as a C string.
SHELL_C   = $(sort $(wildcard shell/*.c))
SHELL_OBJ = $(SHELL_C:shell/%.c=$(B)/shell/%.o) \
            $(EXT_C:ext/%.c=$(B)/shell/ext/%.o) $(EXT_CXX:ext/%.cpp=$(B)/shell/ext/%.o)
SHELL_LIBS = -lsqlite3 -lreadline -lpthread $(EXT_LIBS)

all: $(B)/imgsearch

$(B)/shell:
	mkdir -p $@
$(B)/shell/schema.h: sql/schema.sql | $(B)/shell
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@
$(B)/shell/%.o: shell/%.c $(wildcard shell/*.h) $(B)/shell/schema.h | $(B)/shell
	$(CC) $(CFLAGS_ALL) -I$(B)/shell -c $< -o $@
$(B)/shell/thumbnail.o: ext/image/image.h
# --version: the commit the tool was built from.
IMGSEARCH_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(B)/shell/main.o: CFLAGS += -DIMGSEARCH_VERSION='"$(IMGSEARCH_VERSION)"'
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
$(B)/imgsearch: $(SHELL_OBJ)
	$(CXX) $(LDFLAGS_ALL) -o $@ $(SHELL_OBJ) $(SHELL_LIBS)

# tests/shell/test_shell.c drives build/imgsearch end to end (run by run.sh).
$(TEST_BIN)/test_shell: tests/shell/test_shell.c tests/sql/testlib.h | $(TEST_BIN)
	$(CC) $(CFLAGS_ALL) -Itests/sql -o $@ $< $(LDFLAGS_ALL) -lsqlite3 -lm
test: $(B)/imgsearch $(TEST_BIN)/test_shell
# ---- end of the command-line tool -------------------------------------------

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
SCALE_EVAL_OBJ = $(addprefix $(B)/shell/ext/, error.o image/sift_blob.o image/sample.o \
    image/pca.o image/vlad.o image/match.o image/words.o image/words_blob.o image/words_match.o \
    image/sift_cv.o)
$(B)/bench/scale_eval: tests/bench/scale_eval.c $(SCALE_EVAL_OBJ)
	mkdir -p $(B)/bench
	$(CXX) -x c -std=c11 -D_GNU_SOURCE -Iext $(COMMON) -DSQLITE_CORE -c tests/bench/scale_eval.c -o $(B)/bench/scale_eval.o
	$(CXX) $(LDFLAGS_ALL) -o $@ $(B)/bench/scale_eval.o $(SCALE_EVAL_OBJ) -lsqlite3 $(OPENCV_LIBS) -lm

clean:
	rm -rf build
