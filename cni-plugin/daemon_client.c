/* The plugin's requests to weftd (daemon_client.h) over lib/api's blocking client: one connection
 * per request, and one deadline for connect, send and answer together, so a daemon that is
 * stopped, wedged or gone costs an ADD at most daemonTimeoutMs before it fails with code 11. */
#include "daemon_client.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"

/* ---- the request's contents --------------------------------------------------------------------- */

/* Kubernetes names: lowercase alphanumerics and '-' (and '.' in a DNS subdomain), starting and
 * ending with an alphanumeric. */
static bool k8s_name_valid(const char *s, bool dots)
{
	size_t n = strlen(s);

	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' || (dots && s[i] == '.')))
			return false;
	return true;
}

static int pod_arg(const char *args, const char *key, char *out, size_t len, bool dots, const char *what,
		   struct cni_error *e)
{
	int r = cni_args_get(args, key, out, len);

	if (r < 0)
		return cni_error_set(e, CNI_ERR_ENV, "CNI_ARGS %s is longer than a Kubernetes %s (%zu bytes)", key, what,
				     len - 1);
	/* An empty value says no more than an absent one. */
	if (r == 0 || !out[0]) {
		out[0] = '\0';
		return 0;
	}
	if (!k8s_name_valid(out, dots))
		return cni_error_set(e, CNI_ERR_ENV, "CNI_ARGS %s '%.80s' is not a Kubernetes %s (lowercase letters, "
				     "digits, '-'%s; starting and ending with a letter or digit)", key, out, what,
				     dots ? ", '.'" : "");
	return 0;
}

int daemon_pod_args(const char *cni_args, struct daemon_endpoint *ep, struct cni_error *e)
{
	ep->pod_name[0] = ep->pod_namespace[0] = '\0';
	if (!cni_args)
		return 0;
	if (pod_arg(cni_args, "K8S_POD_NAME", ep->pod_name, sizeof(ep->pod_name), true, "object name", e) < 0 ||
	    pod_arg(cni_args, "K8S_POD_NAMESPACE", ep->pod_namespace, sizeof(ep->pod_namespace), false,
		    "namespace name", e) < 0)
		return -1;
	return 0;
}

static void mac_fmt(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

json_t *daemon_endpoint_json(const struct daemon_endpoint *ep)
{
	char hmac[18], pmac[18], abuf[INET_ADDRSTR];
	json_t *ips = json_array(), *o;

	for (size_t i = 0; ips && i < ep->n_ips; i++)
		if (json_array_append_new(ips, json_string(inet_addr_fmt(&ep->ips[i], abuf, sizeof(abuf)))) < 0) {
			json_decref(ips);
			return NULL;
		}
	mac_fmt(ep->host_mac, hmac);
	mac_fmt(ep->pod_mac, pmac);
	/* "o" steals ips, also when the pack fails. */
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:o}", "container_id", ep->containerid, "ifname",
		      ep->ifname, "netns", ep->netns, "network", ep->network, "host_ifname", ep->host_ifname,
		      "host_ifindex", ep->host_ifindex, "host_mac", hmac, "pod_mac", pmac, "ips", ips);
	if (o && ep->pod_name[0] && json_object_set_new(o, "pod_name", json_string(ep->pod_name)) < 0)
		goto fail;
	if (o && ep->pod_namespace[0] && json_object_set_new(o, "pod_namespace", json_string(ep->pod_namespace)) < 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* ---- one exchange ------------------------------------------------------------------------------- */

enum call_outcome {
	CALL_OK,          /* *result holds the answer */
	CALL_UNREACHABLE, /* no connection: nothing was sent */
	CALL_NO_ANSWER,   /* connected, but no answer in time (the request may have been handled) */
	CALL_REFUSED,     /* weftd answered with an error: "code: msg" in err */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum call_outcome daemon_call(const struct daemon_target *t, const char *op, json_t *args, json_t **result,
				     char *err, size_t errlen)
{
	long long deadline = now_ms() + t->timeout_ms, left;
	struct api_client c;
	enum call_outcome out;
	int r;

	*result = NULL;
	r = api_client_open(&c, t->socket, t->timeout_ms);
	if (r < 0) {
		if (r == -ENOENT)
			snprintf(err, errlen, "no socket there (is weftd running?)");
		else if (r == -ECONNREFUSED)
			snprintf(err, errlen, "connection refused (weftd is not listening)");
		else if (r == -ETIMEDOUT)
			snprintf(err, errlen, "no connection accepted within %d ms", t->timeout_ms);
		else
			snprintf(err, errlen, "cannot connect: %s", strerror(-r));
		return CALL_UNREACHABLE;
	}
	/* The client bounds each wait by its timeout: give the rest of the budget to the exchange,
	 * so connect, send and answer stay within one timeout together. Never 0: that is no limit. */
	left = deadline - now_ms();
	c.timeout_ms = left > 0 ? (int)left : 1;
	r = api_client_call(&c, op, args, result, NULL, NULL, err, errlen);
	/* The client drops the connection on transport failures only; an error line keeps it. */
	if (r == 0)
		out = CALL_OK;
	else
		out = c.fd >= 0 ? CALL_REFUSED : CALL_NO_ANSWER;
	api_client_close(&c);
	return out;
}

/* Fill e for a failed exchange: code 11 when weftd did not answer, 110 when it refused. */
static int call_error(const struct daemon_target *t, const char *what, enum call_outcome o, const char *err,
		      struct cni_error *e)
{
	switch (o) {
	case CALL_UNREACHABLE:
		cni_error_set(e, CNI_ERR_TRY_AGAIN, "cannot reach weftd at %s to %s: %s", t->socket, what, err);
		break;
	case CALL_NO_ANSWER:
		cni_error_set(e, CNI_ERR_TRY_AGAIN, "weftd at %s did not answer (%s): %s", t->socket, what, err);
		break;
	default:
		cni_error_set(e, CNI_ERR_DAEMON, "weftd at %s refused to %s: %.160s", t->socket, what, err);
		cni_error_detail(e, "weftd: %s", err);
		break;
	}
	return -1;
}

int daemon_endpoint_add(const struct daemon_target *t, const struct daemon_endpoint *ep, bool *maybe_registered,
			struct cni_error *e)
{
	json_t *args = daemon_endpoint_json(ep), *res = NULL;
	enum call_outcome o;
	char err[512], what[300];

	*maybe_registered = false;
	if (!args)
		return cni_error_set(e, CNI_ERR_INTERNAL, "out of memory building the endpoint.add request");
	o = daemon_call(t, "endpoint.add", args, &res, err, sizeof(err));
	json_decref(args);
	json_decref(res);
	if (o == CALL_OK)
		return 0;
	*maybe_registered = o == CALL_NO_ANSWER;
	snprintf(what, sizeof(what), "register endpoint %s/%s", ep->containerid, ep->ifname);
	return call_error(t, what, o, err, e);
}

static json_t *key_json(const char *containerid, const char *ifname)
{
	return json_pack("{s:s, s:s}", "container_id", containerid, "ifname", ifname);
}

int daemon_endpoint_del(const struct daemon_target *t, const char *containerid, const char *ifname,
			struct cni_error *e)
{
	json_t *args = key_json(containerid, ifname), *res = NULL;
	enum call_outcome o;
	char err[512], what[300];

	if (!args)
		return cni_error_set(e, CNI_ERR_INTERNAL, "out of memory building the endpoint.del request");
	o = daemon_call(t, "endpoint.del", args, &res, err, sizeof(err));
	json_decref(args);
	json_decref(res);
	if (o == CALL_OK)
		return 0;
	snprintf(what, sizeof(what), "unregister endpoint %s/%s", containerid, ifname);
	return call_error(t, what, o, err, e);
}

int daemon_endpoint_get(const struct daemon_target *t, const char *containerid, const char *ifname, json_t **out,
			struct cni_error *e)
{
	json_t *args = key_json(containerid, ifname), *res = NULL;
	const char *cid;
	enum call_outcome o;
	char err[512], what[300];

	*out = NULL;
	if (!args)
		return cni_error_set(e, CNI_ERR_INTERNAL, "out of memory building the endpoint.get request");
	o = daemon_call(t, "endpoint.get", args, &res, err, sizeof(err));
	json_decref(args);
	if (o == CALL_REFUSED && strncmp(err, API_ERR_NOT_FOUND ":", strlen(API_ERR_NOT_FOUND) + 1) == 0)
		return 0;
	if (o != CALL_OK) {
		snprintf(what, sizeof(what), "look up endpoint %s/%s", containerid, ifname);
		return call_error(t, what, o, err, e);
	}
	/* weftd also matches container ID prefixes (for people typing short IDs): only an exact
	 * match is this attachment. */
	cid = json_string_value(json_object_get(res, "container_id"));
	if (!cid || strcmp(cid, containerid) != 0) {
		json_decref(res);
		return 0;
	}
	*out = res;
	return 1;
}

int daemon_status(const struct daemon_target *t, struct cni_error *e)
{
	json_t *res = NULL;
	enum call_outcome o;
	char err[512];

	o = daemon_call(t, "status", NULL, &res, err, sizeof(err));
	json_decref(res);
	return o == CALL_OK ? 0 : call_error(t, "report its status", o, err, e);
}

/* ---- CHECK's comparison ------------------------------------------------------------------------- */

static void differs(void (*fail)(void *, const char *), void *arg, unsigned *n, const char *field, const char *got,
		    const char *want)
{
	char what[256];

	snprintf(what, sizeof(what), "weftd's endpoint has %s %.96s, expected %.96s", field, got ? got : "(none)", want);
	fail(arg, what);
	(*n)++;
}

static void compare_string(json_t *got, const char *field, const char *want, bool nocase,
			   void (*fail)(void *, const char *), void *arg, unsigned *n)
{
	const char *s = json_string_value(json_object_get(got, field));

	if (!want || !want[0])
		return;
	if (!s || (nocase ? strcasecmp(s, want) : strcmp(s, want)) != 0)
		differs(fail, arg, n, field, s, want);
}

static bool mac_set(const uint8_t mac[6])
{
	return mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5];
}

/* The same addresses, in any order. */
static bool ips_match(json_t *ips, const struct daemon_endpoint *want)
{
	json_t *v;
	size_t i;

	if (!json_is_array(ips) || json_array_size(ips) != want->n_ips)
		return false;
	json_array_foreach(ips, i, v) {
		struct inet_addr a;
		bool found = false;

		if (!inet_addr_parse(json_string_value(v) ? json_string_value(v) : "", &a))
			return false;
		for (size_t j = 0; j < want->n_ips && !found; j++)
			found = inet_addr_equal(&a, &want->ips[j]);
		if (!found)
			return false;
	}
	return true;
}

unsigned daemon_endpoint_compare(json_t *got, const struct daemon_endpoint *want,
				 void (*fail)(void *arg, const char *what), void *arg)
{
	char buf[CNI_MAX_IPS * (INET_ADDRSTR + 1)], mac[18], *txt;
	json_t *v;
	unsigned n = 0;

	compare_string(got, "netns", want->netns, false, fail, arg, &n);
	compare_string(got, "network", want->network, false, fail, arg, &n);
	compare_string(got, "host_ifname", want->host_ifname, false, fail, arg, &n);
	if (want->host_ifindex > 0) {
		v = json_object_get(got, "host_ifindex");
		if (!json_is_integer(v) || json_integer_value(v) != want->host_ifindex) {
			txt = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
			snprintf(buf, sizeof(buf), "%d", want->host_ifindex);
			differs(fail, arg, &n, "host_ifindex", txt, buf);
			free(txt);
		}
	}
	if (mac_set(want->host_mac)) {
		mac_fmt(want->host_mac, mac);
		compare_string(got, "host_mac", mac, true, fail, arg, &n);
	}
	if (mac_set(want->pod_mac)) {
		mac_fmt(want->pod_mac, mac);
		compare_string(got, "pod_mac", mac, true, fail, arg, &n);
	}
	v = json_object_get(got, "ips");
	if (want->n_ips && !ips_match(v, want)) {
		char abuf[INET_ADDRSTR];

		buf[0] = '\0';
		for (size_t i = 0; i < want->n_ips; i++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
				 inet_addr_fmt(&want->ips[i], abuf, sizeof(abuf)));
		txt = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		differs(fail, arg, &n, "ips", txt, buf);
		free(txt);
	}
	return n;
}
