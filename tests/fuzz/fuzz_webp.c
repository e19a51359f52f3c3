/*
** fuzz_webp.c — libFuzzer target for image_webp.c through the decode
** interface; the body is fuzz_codec.h.  Run by tests/fuzz/run.sh.
*/
#define FUZZ_CODEC image_codec_webp
#include "fuzz_codec.h"
