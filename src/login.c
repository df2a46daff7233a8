/* SPDX-License-Identifier: ISC */
/*
 * The interactive first sign-in (postie --login): the device grant
 * (RFC 8628 3.1-3.5) and the code grant with PKCE over a loopback
 * redirect on 127.0.0.1 (RFC 7636, RFC 8252 7.3), or a redirect address
 * pasted on the terminal.  Never prints a token.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "err.h"
#include "http.h"
#include "login.h"
#include "oauth.h"

/* RFC 8628 3.5: the default polling interval and slow_down's step. */
#define DEVICE_INTERVAL		5
#define DEVICE_SLOW_DOWN	5
/* Seconds a browser has to send its request once connected. */
#define LOOPBACK_READ		10

/* POST form to url; the answer in *jp. */
static int
login_post(const struct account *a, const struct sysenv *sys,
    const char *url, const char *form, long *status, struct http_json **jp,
    struct postie_err *e)
{
	struct http_opts ho;

	oauth_http_opts(a, sys, &ho);
	return http_post_form(&ho, url, form, status, jp, e);
}

/* The token answer into a new token file. */
static int
login_store(const struct account *a, const struct sysenv *sys, long status,
    const struct http_json *j, char *path, size_t pathsz,
    struct postie_err *e)
{
	struct oauth_token *t;
	char code[64];
	int rc = -1;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	if (oauth_token_answer(status, j, time(NULL), t, code, sizeof(code),
	    e) == -1)
		goto out;
	if (t->refresh[0] == '\0') {
		err_setx(e, EX_PROTOCOL, "the provider sent no refresh token "
		    "(the scope may lack offline_access)");
		goto out;
	}
	if (oauth_token_path(a, sys, path, pathsz, e) == -1 ||
	    oauth_token_save(path, t, e) == -1)
		goto out;
	rc = 0;
out:
	explicit_bzero(t, sizeof(*t));
	free(t);
	return rc;
}

static int
login_device(const struct account *a, const struct sysenv *sys, FILE *out,
    char *path, size_t pathsz, struct postie_err *e)
{
	char form[BOUND_OAUTH_URL], device[BOUND_OAUTH_TOKEN], code[64];
	char shown[2][512];
	const char *uri, *user_code;
	struct http_json *j = NULL;
	long long interval = DEVICE_INTERVAL, expires_in = BOUND_OAUTH_LOGIN;
	time_t end;
	long status;
	int rc = -1, i;

	form[0] = '\0';
	if (oauth_form_add(form, sizeof(form), "client_id",
	    a->oauth2_client_id) == -1 || oauth_form_add(form, sizeof(form),
	    "scope", a->oauth2_scope) == -1) {
		err_setx(e, EX_CONFIG, "device request too long");
		return -1;
	}
	if (login_post(a, sys, a->oauth2_device_url, form, &status, &j, e) ==
	    -1)
		return -1;
	uri = http_json_str(j, "verification_uri");
	if (uri == NULL)
		uri = http_json_str(j, "verification_url");
	user_code = http_json_str(j, "user_code");
	if (status != 200 || uri == NULL || user_code == NULL ||
	    http_json_str(j, "device_code") == NULL ||
	    strlcpy(device, http_json_str(j, "device_code"),
	    sizeof(device)) >= sizeof(device)) {
		if (status == 200)
			err_setx(e, EX_PROTOCOL, "the device endpoint "
			    "answered without a device code");
		else
			(void)oauth_token_answer(status, j, 0, NULL, code,
			    sizeof(code), e);
		http_json_free(j);
		err_prefix(e, "%s: ", a->oauth2_device_url);
		return -1;
	}
	(void)http_json_int(j, "interval", &interval);
	(void)http_json_int(j, "expires_in", &expires_in);
	if (interval < 1 || interval > 60)
		interval = DEVICE_INTERVAL;
	if (expires_in < 1 || expires_in > BOUND_OAUTH_LOGIN)
		expires_in = BOUND_OAUTH_LOGIN;
	err_sanitize(shown[0], sizeof(shown[0]), uri, strlen(uri));
	err_sanitize(shown[1], sizeof(shown[1]), user_code,
	    strlen(user_code));
	fprintf(out, "To sign in account %s, open\n\n    %s\n\nin a browser "
	    "(on any device) and enter the code\n\n    %s\n\nWaiting for "
	    "the sign-in...\n", a->name, shown[0], shown[1]);
	fflush(out);
	http_json_free(j);
	j = NULL;

	end = time(NULL) + (time_t)expires_in;
	for (i = 0;; i++) {
		sleep((unsigned)interval);
		if (time(NULL) > end) {
			err_setx(e, EX_TEMPFAIL, "the code expired before the "
			    "sign-in; run postie --login %s again", a->name);
			goto out;
		}
		form[0] = '\0';
		if (oauth_form_add(form, sizeof(form), "grant_type",
		    "urn:ietf:params:oauth:grant-type:device_code") == -1 ||
		    oauth_form_add(form, sizeof(form), "device_code",
		    device) == -1 ||
		    oauth_form_client(form, sizeof(form), a) == -1) {
			err_setx(e, EX_CONFIG, "token request too long");
			goto out;
		}
		rc = login_post(a, sys, a->oauth2_token_url, form, &status,
		    &j, e);
		explicit_bzero(form, sizeof(form));
		if (rc == -1)
			goto out;
		rc = -1;
		if (status == 200) {
			rc = login_store(a, sys, status, j, path, pathsz, e);
			goto out;
		}
		(void)oauth_token_answer(status, j, 0, NULL, code,
		    sizeof(code), e);
		http_json_free(j);
		j = NULL;
		if (strcmp(code, "authorization_pending") == 0)
			continue;
		if (strcmp(code, "slow_down") == 0) {
			interval += DEVICE_SLOW_DOWN;
			continue;
		}
		if (strcmp(code, "access_denied") == 0)
			err_setx(e, EX_NOPERM, "the sign-in was denied");
		else if (strcmp(code, "expired_token") == 0)
			err_setx(e, EX_TEMPFAIL, "the code expired before the "
			    "sign-in; run postie --login %s again", a->name);
		goto out;
	}
out:
	http_json_free(j);
	explicit_bzero(device, sizeof(device));
	explicit_bzero(form, sizeof(form));
	return rc;
}

/* A listening socket on 127.0.0.1, on a port the system picks. */
static int
loopback_listen(int *portp, struct postie_err *e)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		err_set(e, EX_OSERR, "loopback listener on 127.0.0.1");
		if (fd != -1)
			close(fd);
		return -1;
	}
	*portp = ntohs(sin.sin_port);
	return fd;
}

/*
 * One browser request on the listener: its target into buf ("" when it
 * is not a GET), answered with a page saying what happened.
 */
static void
loopback_accept(int lfd, char *target, size_t targetsz)
{
	static const char ok[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain"
	    "\r\nConnection: close\r\n\r\npostie: the sign-in went to postie;"
	    " this window may be closed.\r\n";
	static const char nf[] = "HTTP/1.0 404 Not Found\r\nConnection: close"
	    "\r\n\r\n";
	char req[BOUND_OAUTH_URL], *sp, *sp2;
	struct pollfd pfd;
	size_t len = 0;
	ssize_t n;
	int fd;

	target[0] = '\0';
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		return;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len + 1 < sizeof(req) && memmem(req, len, "\r\n\r\n", 4) ==
	    NULL && poll(&pfd, 1, LOOPBACK_READ * 1000) == 1) {
		if ((n = read(fd, req + len, sizeof(req) - 1 - len)) <= 0)
			break;
		len += (size_t)n;
	}
	req[len] = '\0';
	if (strncmp(req, "GET ", 4) == 0 && (sp = strchr(req + 4, ' ')) !=
	    NULL) {
		*sp = '\0';
		if (((sp2 = strchr(req + 4, '\r')) == NULL || sp2 > sp) &&
		    strlcpy(target, "http://127.0.0.1", targetsz) < targetsz &&
		    strlcat(target, req + 4, targetsz) >= targetsz)
			target[0] = '\0';
	}
	if (strstr(target, "code=") != NULL || strstr(target, "error=") !=
	    NULL)
		n = write(fd, ok, sizeof(ok) - 1);
	else {
		n = write(fd, nf, sizeof(nf) - 1);
		target[0] = '\0';
	}
	(void)n;
	close(fd);
	explicit_bzero(req, sizeof(req));
}

/* Wait for the redirect: from the browser, or pasted on in. */
static int
loopback_wait(int lfd, FILE *in, char *url, size_t urlsz,
    struct postie_err *e)
{
	struct pollfd pfd[2];
	time_t end = time(NULL) + BOUND_OAUTH_LOGIN;
	size_t len;
	int n, nfd;

	url[0] = '\0';
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = in != NULL ? fileno(in) : -1;
	pfd[1].events = POLLIN;
	while (url[0] == '\0') {
		if (time(NULL) >= end) {
			err_setx(e, EX_TEMPFAIL, "no sign-in within %d s",
			    BOUND_OAUTH_LOGIN);
			return -1;
		}
		nfd = pfd[1].fd != -1 ? 2 : 1;
		n = poll(pfd, (nfds_t)nfd, 1000);
		if (n == -1 && errno != EINTR) {
			err_set(e, EX_OSERR, "poll");
			return -1;
		}
		if (n <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			loopback_accept(lfd, url, urlsz);
		else if (nfd == 2 && pfd[1].revents != 0) {
			if (fgets(url, (int)urlsz, in) == NULL) {
				/* End of input: the browser only. */
				pfd[1].fd = -1;
				url[0] = '\0';
				continue;
			}
			len = strlen(url);
			while (len > 0 && (url[len - 1] == '\n' ||
			    url[len - 1] == '\r' || url[len - 1] == ' '))
				url[--len] = '\0';
			if (strchr(url, '?') == NULL)
				url[0] = '\0';
		}
	}
	return 0;
}

static int
login_code(const struct account *a, const struct sysenv *sys, FILE *in,
    FILE *out, char *path, size_t pathsz, struct postie_err *e)
{
	char verifier[80], challenge[64], state[80], got[80], redirect[64];
	char url[BOUND_OAUTH_URL], code[BOUND_OAUTH_TOKEN], form[BOUND_OAUTH_URL];
	struct http_json *j = NULL;
	long status;
	int lfd, port, rc = -1, r;

	if (oauth_random(verifier, sizeof(verifier), e) == -1 ||
	    oauth_random(state, sizeof(state), e) == -1)
		return -1;
	if (oauth_pkce_challenge(verifier, challenge, sizeof(challenge)) ==
	    -1) {
		err_setx(e, EX_SOFTWARE, "PKCE challenge");
		return -1;
	}
	if ((lfd = loopback_listen(&port, e)) == -1)
		return -1;
	snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%d/", port);
	if (oauth_authorize_url(a, redirect, state, challenge, url,
	    sizeof(url)) == -1) {
		err_setx(e, EX_CONFIG, "the authorization URL is too long");
		goto out;
	}
	fprintf(out, "To sign in account %s, open this address in a "
	    "browser:\n\n    %s\n\nWaiting for the browser on %s ...\n"
	    "If the browser runs on another machine, the page it ends on "
	    "will not load:\npaste its address (it starts with %s) here and "
	    "press Enter.\n", a->name, url, redirect, redirect);
	fflush(out);
	if (loopback_wait(lfd, in, url, sizeof(url), e) == -1)
		goto out;
	r = oauth_query_param(url, "state", got, sizeof(got));
	if (r != 1 || strcmp(got, state) != 0) {
		err_setx(e, EX_PROTOCOL, "the redirect's state does not match "
		    "this sign-in (an old or forged redirect); run postie "
		    "--login %s again", a->name);
		goto out;
	}
	if (oauth_query_param(url, "code", code, sizeof(code)) != 1) {
		if (oauth_query_param(url, "error", got, sizeof(got)) == 1) {
			err_setx(e, EX_NOPERM, "the provider said: %s", got);
			goto out;
		}
		err_setx(e, EX_PROTOCOL, "the redirect carries no code");
		goto out;
	}
	form[0] = '\0';
	if (oauth_form_add(form, sizeof(form), "grant_type",
	    "authorization_code") == -1 ||
	    oauth_form_add(form, sizeof(form), "code", code) == -1 ||
	    oauth_form_add(form, sizeof(form), "redirect_uri", redirect) ==
	    -1 || oauth_form_add(form, sizeof(form), "code_verifier",
	    verifier) == -1 || oauth_form_client(form, sizeof(form), a) ==
	    -1) {
		err_setx(e, EX_CONFIG, "token request too long");
		goto out;
	}
	if (login_post(a, sys, a->oauth2_token_url, form, &status, &j, e) ==
	    -1)
		goto out;
	rc = login_store(a, sys, status, j, path, pathsz, e);
out:
	http_json_free(j);
	close(lfd);
	explicit_bzero(url, sizeof(url));
	explicit_bzero(code, sizeof(code));
	explicit_bzero(form, sizeof(form));
	explicit_bzero(verifier, sizeof(verifier));
	return rc;
}

int
login_run(const struct account *a, const struct sysenv *sys, FILE *in,
    FILE *out, char *path, size_t pathsz, struct postie_err *e)
{
	int rc;

	if (a->oauth2_provider == OAUTH2_NONE) {
		err_setx(e, EX_CONFIG, "--login: account %s has no "
		    "oauth2_provider (%s:%d)", a->name, a->file, a->line);
		return -1;
	}
	if (a->oauth2_device_url != NULL)
		rc = login_device(a, sys, out, path, pathsz, e);
	else
		rc = login_code(a, sys, in, out, path, pathsz, e);
	if (rc == -1)
		err_prefix(e, "--login %s: ", a->name);
	return rc;
}
