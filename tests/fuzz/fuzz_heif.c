/*
** fuzz_heif.c — libFuzzer target for image_heif.c through the decode
** interface; the body is fuzz_codec.h.  Run by tests/fuzz/run.sh.
*/
#define FUZZ_CODEC image_codec_heif
#include "fuzz_codec.h"
