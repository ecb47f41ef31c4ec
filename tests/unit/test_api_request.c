/* The request parser and validator (api_request_parse): the envelope (JSON, weft, id, op, args)
 * and every op's arguments, good and bad, each bad one answered with its code and a message
 * naming the field and quoting the value. No socket, no data path. */
// WRAP: dp_status dp_endpoint_upsert dp_endpoint_remove dp_endpoint_foreach dp_endpoint_attached dp_counters_get dp_map_dump
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"

/* The parser never reaches the data path: every wrap fails the test if called. */
json_t *__wrap_dp_status(struct dp *dp);
int __wrap_dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
int __wrap_dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
int __wrap_dp_endpoint_foreach(struct dp *dp, int (*fn)(const struct weft_endpoint *ep, void *arg), void *arg);
bool __wrap_dp_endpoint_attached(struct dp *dp, unsigned ifindex);
int __wrap_dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out);
int __wrap_dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen);

json_t *__wrap_dp_status(struct dp *dp) { fail(); return NULL; }
int __wrap_dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen) { fail(); return -1; }
int __wrap_dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen) { fail(); return -1; }
int __wrap_dp_endpoint_foreach(struct dp *dp, int (*fn)(const struct weft_endpoint *ep, void *arg), void *arg) { fail(); return -1; }
bool __wrap_dp_endpoint_attached(struct dp *dp, unsigned ifindex) { fail(); return false; }
int __wrap_dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out) { fail(); return -1; }
int __wrap_dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen) { fail(); return -1; }

#define ADD_OK "\"container_id\":\"c1\",\"ifname\":\"eth0\",\"netns\":\"/var/run/netns/p1\",\"network\":\"weft\"," \
	       "\"host_ifname\":\"wft0123456789ab\",\"host_ifindex\":12,\"host_mac\":\"aa:bb:cc:dd:ee:01\","   \
	       "\"pod_mac\":\"02:00:00:00:00:01\",\"ips\":[\"10.244.1.5\",\"fd00:10:244:1::5\"]"

static const char *parse(const char *line, struct api_request *req, char *err, size_t errlen)
{
	err[0] = '\0';
	return api_request_parse(line, strlen(line), req, err, errlen);
}

/* The line is refused with code and a message containing want. */
static void refused(const char *line, const char *code, const char *want)
{
	struct api_request req;
	char err[1024];
	const char *got = parse(line, &req, err, sizeof(err));

	if (!got || strcmp(got, code) != 0 || !strstr(err, want))
		fail_msg("%s\n  got code %s, message \"%s\"\n  want code %s, message containing \"%s\"", line,
			 got ? got : "(none)", err, code, want);
	api_request_fini(&req);
}

static void test_envelope(void **state)
{
	struct api_request req;
	char err[256];

	(void)state;
	refused("", API_ERR_BAD_REQUEST, "not valid JSON");
	refused("{\"weft\":1,", API_ERR_BAD_REQUEST, "not valid JSON");
	refused("[1,2]", API_ERR_BAD_REQUEST, "must be a JSON object, not a list");
	refused("\"status\"", API_ERR_BAD_REQUEST, "must be a JSON object, not \"status\"");
	refused("{\"weft\":1,\"op\":\"status\"}", API_ERR_BAD_REQUEST, "id is missing");
	refused("{\"weft\":1,\"id\":\"7\",\"op\":\"status\"}", API_ERR_BAD_REQUEST, "id \"7\" must be a non-negative integer");
	refused("{\"weft\":1,\"id\":-1,\"op\":\"status\"}", API_ERR_BAD_REQUEST, "id -1 must be");
	refused("{\"weft\":1,\"id\":1.5,\"op\":\"status\"}", API_ERR_BAD_REQUEST, "id 1.5 must be");
	refused("{\"id\":1,\"op\":\"status\"}", API_ERR_BAD_REQUEST, "weft (the protocol version, 1) is missing");
	refused("{\"weft\":2,\"id\":1,\"op\":\"status\"}", API_ERR_VERSION, "weft 2: this daemon speaks version 1");
	refused("{\"weft\":\"1\",\"id\":1,\"op\":\"status\"}", API_ERR_VERSION, "weft \"1\"");
	refused("{\"weft\":1,\"id\":1}", API_ERR_BAD_REQUEST, "op is missing");
	refused("{\"weft\":1,\"id\":1,\"op\":7}", API_ERR_BAD_REQUEST, "op must be a string, not 7");
	refused("{\"weft\":1,\"id\":1,\"op\":\"reboot\"}", API_ERR_UNKNOWN_OP, "op \"reboot\" is not one of status");
	refused("{\"weft\":1,\"id\":1,\"op\":\"status\",\"extra\":1}", API_ERR_BAD_REQUEST, "unknown key \"extra\"");
	refused("{\"weft\":1,\"id\":1,\"op\":\"status\",\"args\":[]}", API_ERR_BAD_REQUEST, "args must be an object, not a list");
	refused("{\"weft\":1,\"id\":1,\"id\":2,\"op\":\"status\"}", API_ERR_BAD_REQUEST, "duplicate");

	/* Errors after the id carry it back; errors before cannot. */
	assert_non_null(parse("{\"weft\":1,\"id\":42,\"op\":\"nope\"}", &req, err, sizeof(err)));
	assert_non_null(req.id);
	assert_int_equal(json_integer_value(req.id), 42);
	api_request_fini(&req);
	assert_non_null(parse("{\"weft\":1,\"op\":\"nope\"}", &req, err, sizeof(err)));
	assert_null(req.id);
	api_request_fini(&req);
	assert_non_null(parse("not json", &req, err, sizeof(err)));
	assert_null(req.id);
	api_request_fini(&req);
	api_request_fini(&req); /* twice is harmless */
}

static void test_good_requests(void **state)
{
	struct api_request req;
	char err[256];

	(void)state;
	/* args absent, null or {} */
	assert_null(parse("{\"weft\":1,\"id\":0,\"op\":\"status\"}", &req, err, sizeof(err)));
	assert_string_equal(api_op_name(req.op), "status");
	assert_true(json_is_object(req.args));
	api_request_fini(&req);
	assert_null(parse("{\"op\":\"endpoint.list\",\"args\":null,\"id\":9007199254740992,\"weft\":1}", &req, err,
			  sizeof(err)));
	api_request_fini(&req);

	assert_null(parse("{\"weft\":1,\"id\":3,\"op\":\"endpoint.add\",\"args\":{" ADD_OK ",\"pod_name\":\"web-0\","
			  "\"pod_namespace\":\"default\"}}", &req, err, sizeof(err)));
	assert_string_equal(req.a.ep.containerid, "c1");
	assert_string_equal(req.a.ep.host_ifname, "wft0123456789ab");
	assert_int_equal(req.a.ep.host_ifindex, 12);
	assert_int_equal(req.a.ep.n_ips, 2);
	assert_int_equal(req.a.ep.host_mac[5], 1);
	assert_string_equal(req.a.ep.pod_name, "web-0");
	api_request_fini(&req);

	/* The IPAM result's address/prefix form is accepted; the length is dropped. */
	assert_null(parse("{\"weft\":1,\"id\":3,\"op\":\"endpoint.add\",\"args\":{\"container_id\":\"c1\",\"ifname\":\"eth0\","
			  "\"netns\":\"/proc/1/ns/net\",\"network\":\"weft\",\"host_ifname\":\"wftx\",\"host_ifindex\":2,"
			  "\"host_mac\":\"AA:BB:CC:DD:EE:01\",\"pod_mac\":\"02:00:00:00:00:01\",\"ips\":[\"10.244.1.5/24\"]}}",
			  &req, err, sizeof(err)));
	assert_int_equal(req.a.ep.n_ips, 1);
	assert_int_equal(req.a.ep.ips[0].bytes[3], 5);
	api_request_fini(&req);

	assert_null(parse("{\"weft\":1,\"id\":4,\"op\":\"endpoint.del\",\"args\":{\"container_id\":\"c1\",\"ifname\":\"eth0\"}}",
			  &req, err, sizeof(err)));
	assert_string_equal(req.a.key.containerid, "c1");
	assert_string_equal(req.a.key.ifname, "eth0");
	api_request_fini(&req);

	assert_null(parse("{\"weft\":1,\"id\":5,\"op\":\"endpoint.get\",\"args\":{\"id\":7}}", &req, err, sizeof(err)));
	assert_true(req.by_id);
	assert_int_equal(req.a.id, 7);
	api_request_fini(&req);
	assert_null(parse("{\"weft\":1,\"id\":5,\"op\":\"endpoint.get\",\"args\":{\"container_id\":\"c1\"}}", &req, err,
			  sizeof(err)));
	assert_false(req.by_id);
	assert_string_equal(req.a.key.ifname, "");
	api_request_fini(&req);

	assert_null(parse("{\"weft\":1,\"id\":6,\"op\":\"bpf.map.dump\",\"args\":{\"name\":\"weft_ep_ip\"}}", &req, err,
			  sizeof(err)));
	assert_string_equal(req.a.map, "weft_ep_ip");
	api_request_fini(&req);
}

#define REQ(op, args) "{\"weft\":1,\"id\":1,\"op\":\"" op "\",\"args\":" args "}"

static void test_bad_args_simple_ops(void **state)
{
	(void)state;
	refused(REQ("status", "{\"verbose\":true}"), API_ERR_BAD_REQUEST, "status: args: unknown key \"verbose\"");
	refused(REQ("endpoint.list", "{\"all\":1}"), API_ERR_BAD_REQUEST, "endpoint.list: args: unknown key \"all\"");

	refused(REQ("endpoint.del", "{}"), API_ERR_BAD_REQUEST, "endpoint.del: container_id is missing");
	refused(REQ("endpoint.del", "{\"container_id\":\"c1\"}"), API_ERR_BAD_REQUEST, "endpoint.del: ifname is missing");
	refused(REQ("endpoint.del", "{\"container_id\":\"-c1\",\"ifname\":\"eth0\"}"), API_ERR_BAD_REQUEST,
		"container_id \"-c1\" is not a valid container ID");
	refused(REQ("endpoint.del", "{\"container_id\":5,\"ifname\":\"eth0\"}"), API_ERR_BAD_REQUEST,
		"container_id 5 is not a valid container ID");
	refused(REQ("endpoint.del", "{\"container_id\":\"c1\",\"ifname\":\"a/b\"}"), API_ERR_BAD_REQUEST,
		"ifname \"a/b\" is not a valid interface name");
	refused(REQ("endpoint.del", "{\"container_id\":\"c1\",\"ifname\":\"eth0123456789abc\"}"), API_ERR_BAD_REQUEST,
		"ifname \"eth0123456789abc\"");
	refused(REQ("endpoint.del", "{\"container_id\":\"c1\",\"ifname\":\"eth0\",\"netns\":\"/x\"}"), API_ERR_BAD_REQUEST,
		"unknown key \"netns\"");

	refused(REQ("endpoint.get", "{}"), API_ERR_BAD_REQUEST, "give id, or container_id");
	refused(REQ("endpoint.get", "{\"id\":0}"), API_ERR_BAD_REQUEST, "id 0 is not an endpoint id (1-65535)");
	refused(REQ("endpoint.get", "{\"id\":65536}"), API_ERR_BAD_REQUEST, "id 65536");
	refused(REQ("endpoint.get", "{\"id\":\"3\"}"), API_ERR_BAD_REQUEST, "id \"3\"");
	refused(REQ("endpoint.get", "{\"id\":3,\"container_id\":\"c1\"}"), API_ERR_BAD_REQUEST, "not both");
	refused(REQ("endpoint.get", "{\"ifname\":\"eth0\"}"), API_ERR_BAD_REQUEST, "give id, or container_id");

	refused(REQ("bpf.map.dump", "{}"), API_ERR_BAD_REQUEST, "bpf.map.dump: name is missing");
	refused(REQ("bpf.map.dump", "{\"name\":\"../etc\"}"), API_ERR_BAD_REQUEST, "name \"../etc\" is not a BPF map name");
	refused(REQ("bpf.map.dump", "{\"name\":\"\"}"), API_ERR_BAD_REQUEST, "name \"\" is not");
	refused(REQ("bpf.map.dump", "{\"name\":[]}"), API_ERR_BAD_REQUEST, "name a list is not");
}

/* endpoint.add with one field replaced (or removed, when value is NULL). */
static void add_refused(const char *key, const char *value, const char *want)
{
	char line[2048];
	json_t *args = json_loads("{" ADD_OK "}", 0, NULL), *req;
	char *s;

	assert_non_null(args);
	if (value)
		json_object_set_new(args, key, json_loads(value, JSON_DECODE_ANY, NULL));
	else
		json_object_del(args, key);
	req = json_pack("{s:i, s:i, s:s, s:o}", "weft", 1, "id", 1, "op", "endpoint.add", "args", args);
	s = json_dumps(req, JSON_COMPACT);
	snprintf(line, sizeof(line), "%s", s);
	free(s);
	json_decref(req);
	refused(line, API_ERR_BAD_REQUEST, want);
}

static void test_bad_args_add(void **state)
{
	static const char *const required[] = { "container_id", "ifname", "netns", "network", "host_ifname",
						"host_ifindex", "host_mac", "pod_mac", "ips" };
	char want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		snprintf(want, sizeof(want), "endpoint.add: %s is missing", required[i]);
		add_refused(required[i], NULL, want);
	}
	add_refused("colour", "\"red\"", "endpoint.add: unknown key \"colour\"");
	add_refused("id", "3", "unknown key \"id\""); /* ids are the daemon's to give */
	add_refused("container_id", "\"has space\"", "container_id \"has space\" is not a valid container ID");
	add_refused("container_id", "7", "container_id must be a string, not 7");
	add_refused("ifname", "\"..\"", "ifname \"..\" is not a valid interface name");
	add_refused("netns", "\"relative/path\"", "netns \"relative/path\" must be an absolute path");
	add_refused("netns", "\"/a\\nb\"", "netns \"/a?b\" must be");
	add_refused("network", "\"bad net\"", "network \"bad net\" is not a valid network name");
	add_refused("host_ifname", "\"way-too-long-name\"", "host_ifname \"way-too-long-name\" is not a valid interface name");
	add_refused("host_ifindex", "0", "host_ifindex 0 must be a positive interface index");
	add_refused("host_ifindex", "-3", "host_ifindex -3");
	add_refused("host_ifindex", "\"12\"", "host_ifindex \"12\"");
	add_refused("host_ifindex", "4294967296", "host_ifindex 4294967296");
	add_refused("host_mac", "\"aa:bb:cc:dd:ee\"", "host_mac \"aa:bb:cc:dd:ee\" is not a unicast MAC address");
	add_refused("host_mac", "\"aa-bb-cc-dd-ee-ff\"", "host_mac \"aa-bb-cc-dd-ee-ff\"");
	add_refused("host_mac", "\"gg:bb:cc:dd:ee:ff\"", "host_mac \"gg:bb:cc:dd:ee:ff\"");
	add_refused("pod_mac", "\"01:00:5e:00:00:01\"", "pod_mac \"01:00:5e:00:00:01\" is not a unicast"); /* multicast */
	add_refused("pod_mac", "\"00:00:00:00:00:00\"", "pod_mac \"00:00:00:00:00:00\"");
	add_refused("ips", "\"10.0.0.1\"", "ips must be a list of addresses, not \"10.0.0.1\"");
	add_refused("ips", "[]", "ips is empty");
	add_refused("ips", "[\"10.0.0.1\",\"fd00::1\",\"10.0.0.2\"]", "ips has 3 addresses");
	add_refused("ips", "[\"10.0.0.1\",\"10.0.0.2\"]", "ips[1] \"10.0.0.2\" is a second IPv4 address");
	add_refused("ips", "[\"fd00::1\",\"fd00::2\"]", "ips[1] \"fd00::2\" is a second IPv6 address");
	add_refused("ips", "[\"10.0.0.300\"]", "ips[0] \"10.0.0.300\" is not an IP address");
	add_refused("ips", "[7]", "ips[0] must be an address string, not 7");
	add_refused("ips", "[\"0.0.0.0\"]", "ips[0] \"0.0.0.0\" is not a unicast address");
	add_refused("ips", "[\"127.0.0.1\"]", "ips[0] \"127.0.0.1\" is not a unicast");
	add_refused("ips", "[\"224.0.0.1\"]", "ips[0] \"224.0.0.1\"");
	add_refused("ips", "[\"::1\"]", "ips[0] \"::1\"");
	add_refused("ips", "[\"ff02::1\"]", "ips[0] \"ff02::1\"");
	add_refused("pod_name", "\"Web_0\"", "pod_name \"Web_0\" is not a Kubernetes object name");
	add_refused("pod_name", "7", "pod_name must be a string, not 7");
	add_refused("pod_namespace", "\"-kube\"", "pod_namespace \"-kube\" is not a Kubernetes namespace name");
	/* A long value is quoted, shortened, never overflowing the message. */
	add_refused("network", "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx yyy\"",
		    "network \"xxxxxxxx");
}

static void test_too_big(void **state)
{
	struct api_request req;
	char err[256];

	(void)state;
	assert_string_equal(api_request_parse("{}", API_MSG_MAX + 1, &req, err, sizeof(err)), API_ERR_TOO_BIG);
	api_request_fini(&req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_good_requests),
		cmocka_unit_test(test_bad_args_simple_ops),
		cmocka_unit_test(test_bad_args_add),
		cmocka_unit_test(test_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
