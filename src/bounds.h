/* SPDX-License-Identifier: ISC */
/*
 * Every limit postie enforces, in one place, each with where it comes from.
 * All are documented in postie(1) or postie.conf(5).
 */
#ifndef POSTIE_BOUNDS_H
#define POSTIE_BOUNDS_H

/* RFC 5322 2.1.1: a line MUST be no more than 998 characters (no CRLF). */
#define BOUND_HEADER_LINE	998
/* The whole header section held in memory (postie's own limit). */
#define BOUND_HEADER_SECTION	(1024 * 1024)
/* Number of header fields (postie's own limit). */
#define BOUND_HEADER_FIELDS	10000
/* Envelope recipients per message (postie's own limit). */
#define BOUND_RECIPIENTS	10000
/* RFC 5321 4.5.3.1.1-3: local part, domain and path in octets. */
#define BOUND_LOCALPART		64
#define BOUND_DOMAIN		255
#define BOUND_PATH		256
/* RFC 3461 4.4: ENVID is at most 100 characters. */
#define BOUND_DSN_ENVID		100
/*
 * A reply line, without CRLF.  RFC 5321 4.5.3.1.5 says 512 octets with
 * CRLF, a limit real servers routinely exceed; like Postfix's client
 * (line_length_limit, 2048) postie takes lines of 2048 octets and cuts a
 * longer one, reading the rest of it without keeping it.
 */
#define BOUND_REPLY_LINE	2048
/*
 * A whole reply as received, every line with its line end, cut parts
 * included (postie's own limit, against a server that never stops).
 */
#define BOUND_REPLY		(64 * 1024)
/*
 * Lines in one reply: as many as BOUND_REPLY holds of the shortest line
 * that is not the last ("NNN-" LF, 5 octets), so that BOUND_REPLY is the
 * bound a server meets.
 */
#define BOUND_REPLY_LINES	(BOUND_REPLY / 5)
/* A config file line (OAuth tokens are long; postie's own limit). */
#define BOUND_CONF_LINE		65536
/*
 * A password or token with its NUL; the first line passwordeval prints must
 * fit (postie's own limit).
 */
#define BOUND_SECRET		16384
/*
 * An OAuth 2.0 access or refresh token with its NUL (RFC 6749 gives no
 * size; Microsoft's access tokens run to a few kilobytes; postie's own
 * limit, below BOUND_SECRET).
 */
#define BOUND_OAUTH_TOKEN	8192
/* An answer from an OAuth 2.0 endpoint, in bytes (postie's own limit). */
#define BOUND_OAUTH_ANSWER	(64 * 1024)
/* An URL, a request body or an HTTP request line (postie's own limit). */
#define BOUND_OAUTH_URL		(3 * BOUND_OAUTH_TOKEN + 4096)
/*
 * Seconds before its end when an access token is refreshed rather than
 * used (postie's own margin: a token must outlive the SMTP session).
 */
#define BOUND_OAUTH_MARGIN	60
/* Seconds --login waits for the browser or the device code at most. */
#define BOUND_OAUTH_LOGIN	900
/*
 * RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its
 * CRLF.  RFC 4954 4: an AUTH command whose initial response would pass
 * it is sent without, and the response goes after the 334.
 */
#define BOUND_AUTH_LINE		512
/*
 * SCRAM iteration count a server may ask for (RFC 7677 4 asks for at
 * least 4096; postie's own ceiling against a server that would make the
 * client spin).
 */
#define BOUND_SCRAM_ITERATIONS	1000000
/* Default network timeout in seconds (msmtp's default). */
#define BOUND_TIMEOUT_DEFAULT	60
/* Largest network timeout; "timeout off" means this (postie's own limit). */
#define BOUND_TIMEOUT_MAX	3600
/*
 * Seconds the canonical name of this host (a name without a dot) may
 * take to look up before the name is used as it is (postie's own limit:
 * the lookup is only for the EHLO name and the message's headers).
 */
#define BOUND_FQDN_LOOKUP	5
/*
 * Addresses of a host tried when connecting, the families interleaved
 * (RFC 8305 section 4; postie's own limit).
 */
#define BOUND_CONNECT_ADDRS	16
/*
 * Oldest TLS session resumed from the cache, in seconds (RFC 8446 4.6.1:
 * a ticket lives at most seven days).
 */
#define BOUND_TLS_SESSION_LIFETIME	(7 * 24 * 60 * 60)

/*
 * postie -bs, the server side of SMTP on standard input and output.
 * A command line with its CRLF (RFC 5321 4.5.3.1.4 allows 512 octets
 * and more with extensions; 4.5.3.1.6's 1000 for a text line is taken).
 */
#define BOUND_SMTPD_LINE	1000
/*
 * A longer command line is answered 500 and read up to its LF, up to
 * this many octets; past that the session ends (postie's own limit).
 */
#define BOUND_SMTPD_JUNK	(64 * 1024)
/*
 * Seconds to wait for a command or a block of DATA (RFC 5321 4.5.3.2.7:
 * a server should wait at least 5 minutes for the next command).
 */
#define BOUND_SMTPD_TIMEOUT	300
/*
 * The message size offered in EHLO (SIZE) and enforced on DATA when the
 * account sets no max_message_size (postie's own limit).
 */
#define BOUND_SMTPD_MESSAGE	(64LL * 1024 * 1024)
/*
 * Commands (other than accepted recipients) and error replies between two
 * accepted messages; past them the session ends with 421 (postie's own
 * limits, against a client that loops).
 */
#define BOUND_SMTPD_COMMANDS	1000
#define BOUND_SMTPD_ERRORS	20
/*
 * Octets in a line of the message, CRLF not counted (RFC 5322 2.1.1,
 * RFC 5321 4.5.3.1.6); a longer body line is sent quoted-printable when
 * that is possible (see mime.h).
 */
#define BOUND_TEXT_LINE		998
/* Characters in a quoted-printable line, CRLF not counted (RFC 2045 6.7). */
#define BOUND_QP_LINE		76

#endif
