/*
** fuzz_tiff.c — libFuzzer target for image_tiff.c through the decode
** interface; the body is fuzz_codec.h.  Run by tests/fuzz/run.sh.
*/
#define FUZZ_CODEC image_codec_tiff
#include "fuzz_codec.h"
