/* SPDX-License-Identifier: ISC */
/*
 * HTTPS form POSTs with a JSON object answer, through libcurl (with
 * OpenSSL) and json-c.  The proxy comes from the caller (sysenv read the
 * environment) and is handed to curl explicitly, so that curl reads no
 * environment of its own.  Owns no tokens: the answer's strings are
 * wiped when it is freed, the request body is never printed.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#ifdef HAVE_OAUTH2
#include <curl/curl.h>
#include <json-c/json.h>
#endif

#include "bounds.h"
#include "err.h"
#include "http.h"

#ifdef HAVE_OAUTH2

struct http_json {
	json_object *obj;
};

/* The answer as it arrives, bounded. */
struct http_buf {
	char	*data;
	size_t	 len, cap;
	int	 over;
};

static size_t
http_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_buf *b = arg;
	size_t n = size * nmemb, cap;
	char *p;

	if (n > BOUND_OAUTH_ANSWER - b->len) {
		b->over = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 4096 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = malloc(cap)) == NULL)
			return 0;
		if (b->data != NULL) {
			memcpy(p, b->data, b->len);
			explicit_bzero(b->data, b->cap);
			free(b->data);
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static void
http_buf_free(struct http_buf *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

/* The class of a curl failure. */
static int
http_curl_ex(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return EX_PROTOCOL;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return EX_CONFIG;
	case CURLE_OUT_OF_MEMORY:
		return EX_OSERR;
	default:
		return EX_TEMPFAIL;
	}
}

static int
http_setup(CURL *c, const struct http_opts *o, const char *url,
    const char *body, struct curl_slist *hdrs, struct http_buf *b)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val)	do { if (rc == CURLE_OK) \
	rc = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "https");
#else
	SET(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT, o->timeout > 0 ? o->timeout : 60L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->trust_file != NULL)
		SET(CURLOPT_CAINFO, o->trust_file);
	if (o->trust_dir != NULL)
		SET(CURLOPT_CAPATH, o->trust_dir);
	/* Explicit, even when empty: curl reads no proxy variable itself. */
	SET(CURLOPT_PROXY, o->proxy != NULL ? o->proxy : "");
	SET(CURLOPT_NOPROXY, o->no_proxy != NULL ? o->no_proxy : "");
	SET(CURLOPT_USERAGENT, "postie/" PACKAGE_VERSION);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_POSTFIELDS, body);
	SET(CURLOPT_WRITEFUNCTION, http_write);
	SET(CURLOPT_WRITEDATA, b);
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

int
http_post_form(const struct http_opts *o, const char *url, const char *body,
    long *status, struct http_json **jp, struct postie_err *e)
{
	struct http_buf b = { NULL, 0, 0, 0 };
	struct curl_slist *hdrs = NULL;
	struct json_tokener *tok;
	json_object *obj;
	CURL *c;
	CURLcode rc;
	int ret = -1;

	*jp = NULL;
	*status = 0;
	if ((c = curl_easy_init()) == NULL ||
	    (hdrs = curl_slist_append(NULL, "Accept: application/json")) ==
	    NULL) {
		err_setx(e, EX_OSERR, "%s: cannot start the request", url);
		goto done;
	}
	if (http_setup(c, o, url, body, hdrs, &b) == -1) {
		err_setx(e, EX_SOFTWARE, "%s: cannot set up the request", url);
		goto done;
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		if (b.over)
			err_setx(e, EX_DATAERR, "%s: answer longer than %d "
			    "bytes", url, BOUND_OAUTH_ANSWER);
		else
			err_setx(e, http_curl_ex(rc), "%s: %s", url,
			    curl_easy_strerror(rc));
		goto done;
	}
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (b.len > 0 && (tok = json_tokener_new()) != NULL) {
		obj = json_tokener_parse_ex(tok, b.data, (int)b.len);
		if (json_tokener_get_error(tok) == json_tokener_success &&
		    json_object_is_type(obj, json_type_object)) {
			if ((*jp = calloc(1, sizeof(**jp))) == NULL) {
				json_object_put(obj);
				json_tokener_free(tok);
				err_set(e, EX_OSERR, "%s", url);
				goto done;
			}
			(*jp)->obj = obj;
		} else if (obj != NULL)
			json_object_put(obj);
		json_tokener_free(tok);
	}
	ret = 0;
done:
	http_buf_free(&b);
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	return ret;
}

const char *
http_json_str(const struct http_json *j, const char *key)
{
	json_object *v;

	if (j == NULL || !json_object_object_get_ex(j->obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
http_json_int(const struct http_json *j, const char *key, long long *vp)
{
	json_object *v;
	const char *s;
	char *end;
	long long n;

	if (j == NULL || !json_object_object_get_ex(j->obj, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*vp = (long long)json_object_get_int64(v);
		return 1;
	}
	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0)
		return 0;
	*vp = n;
	return 1;
}

void
http_json_free(struct http_json *j)
{
	char *s;

	if (j == NULL)
		return;
	/* The tokens live in the object's strings: wipe them first. */
	json_object_object_foreach(j->obj, key, v) {
		(void)key;
		if (json_object_is_type(v, json_type_string)) {
			s = (char *)(uintptr_t)json_object_get_string(v);
			explicit_bzero(s, strlen(s));
		}
	}
	json_object_put(j->obj);
	free(j);
}

#else /* !HAVE_OAUTH2 */

struct http_json {
	int	 unused;
};

int
http_post_form(const struct http_opts *o, const char *url, const char *body,
    long *status, struct http_json **jp, struct postie_err *e)
{
	*jp = NULL;
	*status = 0;
	err_setx(e, EX_CONFIG, "this postie was built without OAuth 2.0 "
	    "support (configure --with-oauth2, which needs libcurl and "
	    "json-c)");
	return -1;
}

const char *
http_json_str(const struct http_json *j, const char *key)
{
	return NULL;
}

int
http_json_int(const struct http_json *j, const char *key, long long *vp)
{
	return 0;
}

void
http_json_free(struct http_json *j)
{
	free(j);
}

#endif
