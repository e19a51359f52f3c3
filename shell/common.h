/*
** common.h — what every command of build/imgsearch uses: the exit codes,
** the SIGINT flag, reading numbers and flags from the command line, and
** the clocks.  Defined in common.c; it calls only libc.
*/
#ifndef IMGSEARCH_COMMON_H
#define IMGSEARCH_COMMON_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of every command. */
#define EXIT_OK       0   /* done, nothing failed */
#define EXIT_FAILURES 1   /* done, but some files or queries failed */
#define EXIT_USAGE    2   /* bad command line */
#define EXIT_ERROR    3   /* could not run at all (database, memory) */
#define EXIT_INTERRUPTED 130

/* Set by SIGINT; long loops check it and stop cleanly. */
extern volatile sig_atomic_t shell_interrupted;
void shell_install_interrupt(void);

/* Parse a positive integer option value; prints and returns -1 if bad. */
int shell_parse_int(const char *zOption, const char *zValue, int lo, int hi);

/* Parse a number from 0 to 1 (not NaN); prints and returns -1 if bad. */
double shell_parse_fraction(const char *zOption, const char *zValue);

/* 1 if arg is -h or --help. */
int shell_is_help(const char *arg);

/* What an argument is: an option (starts with '-', is not "-"), an
** operand (a database, a path, an image: any other argument, and every
** one after "--"), or the "--" that ends the options, after which
** *p_operands is set. */
typedef enum ShellArg { SHELL_ARG_OPTION, SHELL_ARG_OPERAND, SHELL_ARG_END_OF_OPTIONS } ShellArg;
ShellArg shell_arg_kind(const char *arg, int *p_operands);

/* 1 if arg looks like an option (starts with '-' and is not "-").  For an
** option no command knows, prints "imgsearch COMMAND: unknown option ARG"
** (zCommand NULL: "imgsearch: unknown option ARG") and returns 1. */
int shell_unknown_option(const char *zCommand, const char *arg);

/* Seconds on the monotonic clock (for rates, timers and --stats), and
** the CPU seconds the calling thread has used (--stats: on a busy machine
** wall times stretch, CPU times do not). */
double shell_now(void);
double shell_thread_cpu(void);

/* "1.2 MB", "532 KB", "900 bytes"; and a file time (ns) as "2021-03-04
** 10:15" (UTC), for the keep reasons and the HTML cards. */
void shell_size_text(int64_t bytes, char *z, size_t n);
void shell_date_text(int64_t mtime_ns, char *z, size_t n);

#endif /* IMGSEARCH_COMMON_H */
