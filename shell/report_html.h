/*
** report_html.h — the self-contained HTML contact sheet that `report` and
** `dups -o` write (report_html.c).
*/
#ifndef IMGSEARCH_REPORT_HTML_H
#define IMGSEARCH_REPORT_HTML_H
#include <stdio.h>

/* A self-contained HTML page (inline CSS, thumbnails as data: URIs, no
** script): a title, then sections, each a row of image cards.  Every text
** written is HTML-escaped. */
typedef struct HtmlReport HtmlReport;
/* Create zPath; NULL with the reason printed to stderr. */
HtmlReport *html_report_open(const char *zPath, const char *zTitle,
                             const char *zSummary);
/* Start a section (ends the previous one); zError non-NULL: a failed
** query, shown instead of cards. */
void html_report_section(HtmlReport *r, const char *zHeading, const char *zError);
/* A card: the thumbnail of zPath, zLabel (e.g. "#1"), zDetail (e.g. the
** score), the path.  isQuery marks the query image. */
void html_report_card(HtmlReport *r, const char *zPath, const char *zLabel,
                      const char *zDetail, int isQuery);
/* Finish and close; EXIT_OK, or EXIT_ERROR with the reason printed. */
int html_report_close(HtmlReport *r);
/* Write z with & < > " ' escaped, safe in text and in quoted attributes. */
void html_escape(FILE *f, const char *z);

#endif /* IMGSEARCH_REPORT_HTML_H */
