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
/* How a card looks: the query or the copy kept (blue), a verified copy
** (green), a verified but similar photo (amber), an unverified neighbour
** (grey, dashed), or plain. */
typedef enum HtmlCardKind {
  HTML_CARD_PLAIN, HTML_CARD_QUERY, HTML_CARD_COPY, HTML_CARD_SIMILAR, HTML_CARD_UNVERIFIED
} HtmlCardKind;

/* A region outlined on a card's thumbnail: a quadrilateral in the image's
** own pixels (x0 y0 .. x3 y3), with a short label ("#2"). */
typedef struct HtmlOutline {
  double xy[8];
  char zLabel[12];
} HtmlOutline;

/* A card: the thumbnail of zPath (a link to the file) with the outlines
** drawn over it, zLabel in bold (e.g. "#1"), zDetail (e.g. the match),
** then the image's pixel size, file size and date, and the path. */
typedef struct HtmlCard {
  const char *zPath, *zLabel, *zDetail;
  HtmlCardKind kind;
  const HtmlOutline *outlines;
  int n_outline;
} HtmlCard;
void html_report_card(HtmlReport *r, const HtmlCard *card);
/* Finish and close; EXIT_OK, or EXIT_ERROR with the reason printed. */
int html_report_close(HtmlReport *r);
/* Write z with & < > " ' escaped, safe in text and in quoted attributes. */
void html_escape(FILE *f, const char *z);

#endif /* IMGSEARCH_REPORT_HTML_H */
