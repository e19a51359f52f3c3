/*
** commands.h — the commands main.c dispatches to.  Each takes the
** arguments after its name and returns an EXIT_* code (common.h).
*/
#ifndef IMGSEARCH_COMMANDS_H
#define IMGSEARCH_COMMANDS_H

int cmd_index(int argc, char **argv);    /* cmd_index.c */
int cmd_search(int argc, char **argv);   /* cmd_search.c */
int cmd_dups(int argc, char **argv);     /* cmd_dups.c */
int cmd_report(int argc, char **argv);   /* cmd_report.c */
int cmd_repl(int argc, char **argv);     /* repl.c */

#endif /* IMGSEARCH_COMMANDS_H */
