/*
** fuzz_jxl.c — libFuzzer target for image_jxl.c through the decode
** interface; the body is fuzz_codec.h.  Run by tests/fuzz/run.sh.
*/
#define FUZZ_CODEC image_codec_jxl
#include "fuzz_codec.h"
