/*
** imgsearch_wasm.c — the C side of the WebAssembly build (make wasm).
**
** build/wasm/imgsearch.wasm is SQLite's amalgamation (wasm/fetch_sqlite.sh)
** and the vector-only extension (the Makefile's VEC_C, compiled with
** -DSQLITE_CORE) linked together, with this file.  sqlite3.c is compiled
** with -DSQLITE_EXTRA_INIT=imgsearch_wasm_extra_init, so SQLite calls the
** function below once, from sqlite3_initialize(); it registers the
** extension with sqlite3_auto_extension, and every connection opened
** afterwards — by wasm/api.js or by anything else that calls sqlite3_open
** — has the annoy table and the vec_* functions.  JavaScript reaches SQLite
** through its C API (the exports are listed in the Makefile); wasm/api.js
** is the small wrapper over them.
*/
#include <sqlite3.h>
#include "imgsearch.h"

int imgsearch_wasm_extra_init(const char *unused);

int imgsearch_wasm_extra_init(const char *unused){
  (void)unused;
  return sqlite3_auto_extension((void(*)(void))sqlite3_imgsearchvec_init);
}
