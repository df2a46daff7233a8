/* SPDX-License-Identifier: ISC */
/*
 * The text of failure and delay notices (see dsn.h).  Builds bytes in
 * memory from what it is given; decides nothing about when a notice is
 * due and writes nothing anywhere.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "bounds.h"
#include "dsn.h"
#include "msg.h"

/* A value for a header or report field: one printable line, bounded. */
#define DSN_FIELD	(BOUND_HEADER_LINE / 2)

static const char *
dsn_clean(char *buf, size_t bufsz, const char *s)
{
	if (s == NULL)
		s = "";
	return err_sanitize(buf, bufsz, s, strlen(s));
}

/* The header's parameter value of name ("report-type"), unquoted. */
static int
dsn_param(const char *v, const char *name, char *buf, size_t bufsz)
{
	size_t n = strlen(name), i;
	const char *p;

	for (p = strchr(v, ';'); p != NULL; p = strchr(p + 1, ';')) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, name, n) != 0)
			continue;
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p++ != '=')
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"')
			p++;
		for (i = 0; i + 1 < bufsz && p[i] != '\0' && p[i] != '"' &&
		    p[i] != ';' && p[i] != ' ' && p[i] != '\t'; i++)
			buf[i] = p[i];
		buf[i] = '\0';
		return 1;
	}
	return 0;
}

const char *
dsn_exempt(const char *sender, const char *content_type,
    const char *auto_submitted)
{
	char type[64];
	const char *p, *end;
	size_t len;

	if (sender == NULL || sender[0] == '\0')
		return "it has the null sender";
	if (content_type != NULL) {
		while (*content_type == ' ' || *content_type == '\t')
			content_type++;
		if (strncasecmp(content_type, "multipart/report", 16) == 0 &&
		    (content_type[16] == ';' || content_type[16] == ' ' ||
		    content_type[16] == '\t') &&
		    dsn_param(content_type, "report-type", type,
		    sizeof(type)) && strcasecmp(type, "delivery-status") == 0)
			return "it is a delivery status notification";
	}
	if (auto_submitted != NULL) {
		/* The keyword, before any parameter or comment. */
		for (p = auto_submitted; *p == ' ' || *p == '\t'; p++)
			;
		for (end = p; *end != '\0' && *end != ';' && *end != '(' &&
		    *end != ' ' && *end != '\t'; end++)
			;
		len = (size_t)(end - p);
		if (!(len == 2 && strncasecmp(p, "no", 2) == 0))
			return "it is marked Auto-Submitted";
	}
	return NULL;
}

int
dsn_notify_wants(const char *notify, int delayed)
{
	const char *want = delayed ? "DELAY" : "FAILURE", *p, *end;
	size_t len;

	if (notify == NULL || notify[0] == '\0')
		return 1;
	for (p = notify; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		while (*p == ' ')
			p++;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == strlen(want) && strncasecmp(p, want, len) == 0)
			return 1;
	}
	return 0;
}

int
dsn_reply(const char *why, char *buf, size_t bufsz)
{
	const char *p;

	if (why == NULL)
		return 0;
	for (p = why; (p = strstr(p, ": ")) != NULL; p++) {
		p += 2;
		if (p[0] >= '2' && p[0] <= '5' &&
		    isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) &&
		    (p[3] == ' ' || p[3] == '\0')) {
			dsn_clean(buf, bufsz, p);
			return 1;
		}
		p--;
	}
	return 0;
}

/* The enhanced code at the start of text ("5.1.1 ..."), class cls. */
static int
dsn_enhanced(const char *text, char cls, char *buf, size_t bufsz)
{
	const char *p = text;
	size_t n;

	if (p[0] != cls || p[1] != '.')
		return 0;
	p += 2;
	for (n = 0; n < 3 && isdigit((unsigned char)p[n]); n++)
		;
	if (n == 0 || p[n] != '.')
		return 0;
	p += n + 1;
	for (n = 0; n < 3 && isdigit((unsigned char)p[n]); n++)
		;
	if (n == 0 || (p[n] != ' ' && p[n] != '\0'))
		return 0;
	snprintf(buf, bufsz, "%.*s", (int)(p + n - text), text);
	return 1;
}

void
dsn_status(const char *why, int delayed, int expired, char *buf,
    size_t bufsz)
{
	char reply[POSTIE_ERR_MSG];
	char cls = delayed ? '4' : '5';

	if (dsn_reply(why, reply, sizeof(reply)) && reply[0] == cls) {
		if (reply[3] == ' ' && dsn_enhanced(reply + 4, cls, buf,
		    bufsz))
			return;
		snprintf(buf, bufsz, "%c.0.0", cls);
		return;
	}
	strlcpy(buf, delayed ? "4.4.7" : expired ? "5.4.7" : "5.0.0", bufsz);
}

/* The human-readable part. */
static void
dsn_text(FILE *fp, const struct dsn_notice *n)
{
	char a[DSN_FIELD], b[DSN_FIELD];
	size_t i;

	fprintf(fp, "This is postie on %s.\n\n", dsn_clean(a, sizeof(a),
	    n->reporting));
	if (n->delayed) {
		fputs("A message you sent has not been delivered yet to the "
		    "recipients below.\nIt stays in the queue and will be "
		    "tried again", fp);
		if (n->until != NULL)
			fprintf(fp, " until %s", dsn_clean(a, sizeof(a),
			    n->until));
		fputs("; you need not send it\nagain.\n\n", fp);
	} else
		fputs("A message you sent could not be delivered to the "
		    "recipients below, and\nwill not be tried again.\n\n",
		    fp);
	for (i = 0; i < n->nrcpts; i++)
		fprintf(fp, "<%s>\n    %s\n\n", dsn_clean(a, sizeof(a),
		    n->rcpts[i].addr), dsn_clean(b, sizeof(b),
		    n->rcpts[i].why));
	fprintf(fp, "The message was queued as %s; its header section "
	    "follows.\n", dsn_clean(a, sizeof(a), n->queue_id));
}

/* The message/delivery-status part (RFC 3464 2.2, 2.3). */
static void
dsn_report(FILE *fp, const struct dsn_notice *n)
{
	char a[DSN_FIELD], date[MSG_DATE_LEN], status[32];
	char reply[POSTIE_ERR_MSG];
	size_t i;

	fprintf(fp, "Reporting-MTA: dns; %s\n", dsn_clean(a, sizeof(a),
	    n->reporting));
	if (n->envid != NULL)
		fprintf(fp, "Original-Envelope-Id: %s\n", dsn_clean(a,
		    sizeof(a), n->envid));
	if (msg_date(n->arrival, date, sizeof(date)) == 0)
		fprintf(fp, "Arrival-Date: %s\n", date);
	for (i = 0; i < n->nrcpts; i++) {
		fprintf(fp, "\nFinal-Recipient: rfc822; %s\n", dsn_clean(a,
		    sizeof(a), n->rcpts[i].addr));
		fprintf(fp, "Action: %s\n", n->delayed ? "delayed" :
		    "failed");
		dsn_status(n->rcpts[i].why, n->delayed, n->expired, status,
		    sizeof(status));
		fprintf(fp, "Status: %s\n", status);
		if (n->remote != NULL)
			fprintf(fp, "Remote-MTA: dns; %s\n", dsn_clean(a,
			    sizeof(a), n->remote));
		if (dsn_reply(n->rcpts[i].why, reply, sizeof(reply)))
			fprintf(fp, "Diagnostic-Code: smtp; %s\n", reply);
		if (msg_date(n->now, date, sizeof(date)) == 0)
			fprintf(fp, "Last-Attempt-Date: %s\n", date);
	}
}

/* The original header section, without the empty line that ends it. */
static void
dsn_headers(FILE *fp, const struct dsn_notice *n)
{
	size_t len = n->headers_len;

	while (len > 0 && n->headers[len - 1] == '\n' && (len == 1 ||
	    n->headers[len - 2] == '\n'))
		len--;
	if (len > 0) {
		fwrite(n->headers, 1, len, fp);
		if (n->headers[len - 1] != '\n')
			fputc('\n', fp);
	}
}

static int
dsn_boundary_ok(const char *b)
{
	size_t i;

	for (i = 0; b[i] != '\0'; i++)
		if (!isalnum((unsigned char)b[i]) && strchr("=_.", b[i]) ==
		    NULL)
			return 0;
	return i > 0 && i <= 70;
}

int
dsn_build(const struct dsn_notice *n, char **outp, size_t *lenp,
    struct postie_err *e)
{
	char a[DSN_FIELD], date[MSG_DATE_LEN];
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if (n->nrcpts == 0 || n->boundary == NULL ||
	    !dsn_boundary_ok(n->boundary)) {
		err_setx(e, EX_SOFTWARE, "notice: no recipient or a bad "
		    "boundary");
		return -1;
	}
	if ((fp = open_memstream(&buf, &len)) == NULL) {
		err_set(e, EX_OSERR, "notice");
		return -1;
	}
	fprintf(fp, "From: Delivery notice <%s>\n", dsn_clean(a,
	    sizeof(a), n->from));
	fprintf(fp, "To: <%s>\n", dsn_clean(a, sizeof(a), n->to));
	if (msg_date(n->now, date, sizeof(date)) == 0)
		fprintf(fp, "Date: %s\n", date);
	fprintf(fp, "Subject: %s: %.150s\n", n->delayed ?
	    "Delivery delayed" : "Undelivered mail", n->orig_subject != NULL ?
	    dsn_clean(a, sizeof(a), n->orig_subject) : "(no subject)");
	if (n->msgid != NULL)
		fprintf(fp, "Message-ID: %s\n", dsn_clean(a, sizeof(a),
		    n->msgid));
	fputs("Auto-Submitted: auto-replied\n", fp);
	fputs("MIME-Version: 1.0\n", fp);
	fprintf(fp, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s\"\n", n->boundary);
	fputs("\nThis is a delivery status notification in MIME format "
	    "(RFC 3464).\n", fp);
	fprintf(fp, "\n--%s\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Description: Notification\n\n", n->boundary);
	dsn_text(fp, n);
	fprintf(fp, "\n--%s\nContent-Type: message/delivery-status\n"
	    "Content-Description: Delivery report\n\n", n->boundary);
	dsn_report(fp, n);
	fprintf(fp, "\n--%s\nContent-Type: text/rfc822-headers\n"
	    "Content-Description: The message's header section\n\n",
	    n->boundary);
	dsn_headers(fp, n);
	fprintf(fp, "\n--%s--\n", n->boundary);
	if (fclose(fp) != 0) {
		free(buf);
		err_set(e, EX_OSERR, "notice");
		return -1;
	}
	*outp = buf;
	*lenp = len;
	return 0;
}
