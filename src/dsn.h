/* SPDX-License-Identifier: ISC */
/*
 * Failure and delay notices: the text of a delivery status notification
 * (RFC 3464 multipart/report, report-type delivery-status, RFC 6522)
 * with the original header section as text/rfc822-headers, and the rule
 * saying which messages must never get one (RFC 3834).  Pure functions
 * of their arguments: owns no queue, no config and no I/O.
 */
#ifndef POSTIE_DSN_H
#define POSTIE_DSN_H

#include <stddef.h>
#include <time.h>

#include "err.h"

/* What a notice says about one recipient. */
struct dsn_rcpt {
	const char *addr;	/* the recipient as it was sent to */
	const char *why;	/* postie's reason: "at RCPT TO <a>: 550 ..." */
};

struct dsn_notice {
	int	 delayed;	/* 1: a warning (Action: delayed) */
	int	 expired;	/* failed: queue_lifetime ran out */
	const char *reporting;	/* this host's name (Reporting-MTA) */
	const char *remote;	/* the smarthost (Remote-MTA), or NULL */
	const char *from;	/* the notice's From address */
	const char *to;		/* where the notice goes (To) */
	const char *orig_sender; /* the message's envelope sender */
	const char *orig_subject; /* its Subject, or NULL */
	const char *envid;	/* its ENVID (RFC 3461), or NULL */
	const char *queue_id;	/* its queue id */
	time_t	 arrival;	/* when it was queued */
	time_t	 now;
	const char *until;	/* delayed: when postie gives up, or NULL */
	const char *boundary;	/* the MIME boundary: random, [0-9A-Za-z=_.] */
	const char *msgid;	/* the notice's Message-ID, "<...>" */
	const char *headers;	/* the message's header section, LF lines */
	size_t	 headers_len;
	const struct dsn_rcpt *rcpts;
	size_t	 nrcpts;
};

/*
 * The notice as a message (header section, empty line, body; LF line
 * ends) in *outp, *lenp bytes, NUL-terminated, owned by the caller.
 * Every value taken from elsewhere is made one printable line.
 * Errors: EX_OSERR (memory), EX_SOFTWARE (no recipient, a bad boundary).
 */
int	 dsn_build(const struct dsn_notice *, char **outp, size_t *lenp,
	    struct postie_err *);

/*
 * Why a message must get no notice, or NULL when it may: the null sender
 * (a notice itself, RFC 5321 4.5.5), a Content-Type of multipart/report
 * with report-type delivery-status (a DSN), an Auto-Submitted other than
 * "no" (RFC 3834 5).  Each header argument is NULL when absent.
 */
const char *dsn_exempt(const char *sender, const char *content_type,
	    const char *auto_submitted);

/*
 * 1 when a message whose envelope asked NOTIFY=notify (RFC 3461 4.1: a
 * list of SUCCESS, FAILURE, DELAY, or NEVER; NULL or "": not asked)
 * wants a failure notice (delayed 0) or a delay warning (delayed 1).
 */
int	 dsn_notify_wants(const char *notify, int delayed);

/*
 * The server's reply inside postie's reason why ("host:587: at RCPT TO
 * <a>: 550 5.1.1 unknown"): the part from the reply code on, into buf;
 * 0 when why holds none.
 */
int	 dsn_reply(const char *why, char *buf, size_t bufsz);

/*
 * The RFC 3463 status of a recipient with reason why: the reply's
 * enhanced code when its class matches, else X.0.0 from the reply code;
 * for a failure without a permanent reply, 5.4.7 when expired (delivery
 * time expired), else 5.0.0; for a delay, 4.4.7 or the reply's 4.x.x.
 */
void	 dsn_status(const char *why, int delayed, int expired, char *buf,
	    size_t bufsz);

#endif
