/* Unit tests for weftctl's commands end to end without a daemon: the API client is replaced
 * (--wrap) by a fake that checks the op and arguments each command sends and answers with
 * canned results shaped as weftd's (daemon/api.c, daemon/dp_dump.c). Each command's output is
 * compared, as a human table and as JSON, with golden text; daemon errors with their codes. */
// WRAP: api_client_open api_client_call
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli/cli.h"
#include "cli/print.h"
#include "test_cli_util.h"


/* ---- the fake daemon ---------------------------------------------------------------------- */

static struct {
	int open_rc;
	const char *want_path;
	const char *want_op;
	const char *want_args;   /* compact JSON, keys sorted */
	const char *result;      /* JSON text, or NULL to answer error */
	const char *error;       /* the client's error sentence */
	int events;              /* event lines before the result */
	int calls;
} fake;

int __wrap_api_client_open(struct api_client *c, const char *path, int timeout_ms);
int __wrap_api_client_call(struct api_client *c, const char *op, json_t *args, json_t **result,
			   int (*on_event)(json_t *event, void *arg), void *arg, char *err, size_t errlen);

int __wrap_api_client_open(struct api_client *c, const char *path, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (fake.want_path)
		assert_string_equal(path, fake.want_path);
	assert_true(timeout_ms > 0);
	return fake.open_rc;
}

int __wrap_api_client_call(struct api_client *c, const char *op, json_t *args, json_t **result,
			   int (*on_event)(json_t *event, void *arg), void *arg, char *err, size_t errlen)
{
	char *got = args ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	fake.calls++;
	assert_string_equal(op, fake.want_op);
	assert_string_equal(got ? got : "null", fake.want_args ? fake.want_args : "null");
	free(got);
	*result = NULL;
	for (int i = 0; i < fake.events; i++) {
		json_t *e = json_pack("{s:i}", "n", i);
		int stop;

		assert_non_null(on_event);
		stop = on_event(e, arg);
		json_decref(e);
		if (stop)
			return 0;   /* as lib/api.c: stopped by the caller, no result */
	}
	if (!fake.result) {
		snprintf(err, errlen, "%s", fake.error);
		return -1;
	}
	*result = json_loads(fake.result, 0, NULL);
	assert_non_null(*result);
	return 0;
}

static int fake_reset(void **state)
{
	memset(&fake, 0, sizeof(fake));
	return 0;
}

static void run(struct run *r, ...)
{
	char *argv[16] = { "weftctl" };
	const char *a;
	int argc = 1;
	va_list ap;

	va_start(ap, r);
	while ((a = va_arg(ap, const char *)) && argc < 15)
		argv[argc++] = (char *)a;
	va_end(ap);
	run_argv(r, argc, argv);
}

/* Expect success with exactly want on stdout, nothing on stderr, one call. */
static void expect_out(const char *want, ...)
{
	char *argv[16] = { NULL };
	const char *a;
	struct run r;
	int n = 0;
	va_list ap;

	va_start(ap, want);
	while ((a = va_arg(ap, const char *)) && n < 15)
		argv[n++] = (char *)a;
	va_end(ap);
	fake.calls = 0;
	run(&r, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7], argv[8], NULL);
	assert_text(r.err, "");
	assert_int_equal(r.rc, CLI_OK);
	assert_int_equal(fake.calls, 1);
	assert_text(r.out, want);
	run_fini(&r);
}

/* ---- status -------------------------------------------------------------------------------- */

#define STATUS_RESULT \
	"{\"version\":\"0.3.0\",\"node\":\"node1\",\"pid\":4242,\"started\":1767225600," \
	"\"uptime_s\":3725,\"endpoints\":2,\"api_clients\":1,\"attach_mode\":\"auto\"," \
	"\"programs\":[{\"name\":\"weft_lxc\",\"id\":45,\"attach_mode\":\"tcx\",\"attached\":2," \
	"\"endpoints\":2,\"takeover\":{\"reattached\":2,\"failed\":0}}," \
	"{\"name\":\"weft_from_netdev\",\"id\":46,\"attach_mode\":\"tcx\",\"attached\":1,\"ifindex\":2," \
	"\"device\":\"eth0\"}]," \
	"\"maps\":[{\"name\":\"weft_ep_ip\",\"type\":\"hash\",\"max_entries\":16384,\"entries\":4," \
	"\"pinned\":\"/sys/fs/bpf/weft/node1/weft_ep_ip\"}," \
	"{\"name\":\"weft_counters\",\"type\":\"percpu_hash\",\"max_entries\":16384,\"entries\":8192," \
	"\"pinned\":\"/sys/fs/bpf/weft/node1/weft_counters\"}," \
	"{\"name\":\"weft_events\",\"type\":\"ringbuf\",\"max_entries\":262144,\"entries\":null," \
	"\"pinned\":\"/sys/fs/bpf/weft/node1/weft_events\"}]," \
	"\"pin_dir\":\"/sys/fs/bpf/weft/node1\"}"

static void cmd_status_table(void **state)
{
	fake.want_path = "/run/weft/node1/weftd.sock";
	fake.want_op = "status";
	fake.result = STATUS_RESULT;
	expect_out("Version:      0.3.0\n"
		   "Node:         node1\n"
		   "PID:          4242\n"
		   "Started:      2026-01-01 00:00:00 UTC\n"
		   "Uptime:       1h2m5s\n"
		   "Socket:       /run/weft/node1/weftd.sock\n"
		   "API clients:  1\n"
		   "Endpoints:    2\n"
		   "Attach mode:  auto\n"
		   "Pin dir:      /sys/fs/bpf/weft/node1\n"
		   "\n"
		   "Programs:\n"
		   "  NAME              ID  ATTACH  ATTACHED  TAKEOVER\n"
		   "  weft_lxc          45  tcx     2/2       2 reattached, 0 failed\n"
		   "  weft_from_netdev  46  tcx     eth0      -\n"
		   "\n"
		   "Maps:\n"
		   "  NAME           TYPE         ENTRIES     MAX  FULL\n"
		   "  weft_ep_ip     hash               4   16384  0.0%\n"
		   "  weft_counters  percpu_hash     8192   16384  50.0%\n"
		   "  weft_events    ringbuf            -  262144  -\n",
		   "--socket", "/run/weft/node1/weftd.sock", "status", NULL);
}

static void cmd_status_json(void **state)
{
	fake.want_op = "status";
	fake.result = STATUS_RESULT;
	expect_out("{\n"
		   "  \"version\": \"0.3.0\",\n"
		   "  \"node\": \"node1\",\n"
		   "  \"pid\": 4242,\n"
		   "  \"started\": 1767225600,\n"
		   "  \"uptime_s\": 3725,\n"
		   "  \"socket\": \"/s\",\n"
		   "  \"api_clients\": 1,\n"
		   "  \"endpoints\": 2,\n"
		   "  \"attach_mode\": \"auto\",\n"
		   "  \"pin_dir\": \"/sys/fs/bpf/weft/node1\",\n"
		   "  \"programs\": [\n"
		   "    {\n"
		   "      \"name\": \"weft_lxc\",\n"
		   "      \"id\": 45,\n"
		   "      \"attach_mode\": \"tcx\",\n"
		   "      \"attached\": 2,\n"
		   "      \"endpoints\": 2,\n"
		   "      \"takeover\": {\n"
		   "        \"reattached\": 2,\n"
		   "        \"failed\": 0,\n"
		   "        \"last_error\": null\n"
		   "      }\n"
		   "    },\n"
		   "    {\n"
		   "      \"name\": \"weft_from_netdev\",\n"
		   "      \"id\": 46,\n"
		   "      \"attach_mode\": \"tcx\",\n"
		   "      \"attached\": 1,\n"
		   "      \"endpoints\": null,\n"
		   "      \"ifindex\": 2,\n"
		   "      \"device\": \"eth0\"\n"
		   "    }\n"
		   "  ],\n"
		   "  \"maps\": [\n"
		   "    {\n"
		   "      \"name\": \"weft_ep_ip\",\n"
		   "      \"type\": \"hash\",\n"
		   "      \"entries\": 4,\n"
		   "      \"max_entries\": 16384,\n"
		   "      \"pinned\": \"/sys/fs/bpf/weft/node1/weft_ep_ip\"\n"
		   "    },\n"
		   "    {\n"
		   "      \"name\": \"weft_counters\",\n"
		   "      \"type\": \"percpu_hash\",\n"
		   "      \"entries\": 8192,\n"
		   "      \"max_entries\": 16384,\n"
		   "      \"pinned\": \"/sys/fs/bpf/weft/node1/weft_counters\"\n"
		   "    },\n"
		   "    {\n"
		   "      \"name\": \"weft_events\",\n"
		   "      \"type\": \"ringbuf\",\n"
		   "      \"entries\": null,\n"
		   "      \"max_entries\": 262144,\n"
		   "      \"pinned\": \"/sys/fs/bpf/weft/node1/weft_events\"\n"
		   "    }\n"
		   "  ]\n"
		   "}\n",
		   "status", "--socket=/s", "-o", "json", NULL);
}

/* A takeover that failed somewhere says so, in the table too. */
static void cmd_status_takeover_error(void **state)
{
	fake.want_op = "status";
	fake.result = "{\"version\":\"0.3.0\",\"node\":\"n\",\"programs\":[{\"name\":\"weft_lxc\",\"id\":9,"
		      "\"attach_mode\":\"tc\",\"attached\":1,\"endpoints\":2,\"takeover\":{\"reattached\":1,"
		      "\"failed\":1,\"last_error\":\"weft1234: no such device\"}}],\"maps\":[]}";
	expect_out("Version:      0.3.0\n"
		   "Node:         n\n"
		   "PID:          -\n"
		   "Started:      -\n"
		   "Uptime:       -\n"
		   "Socket:       /s\n"
		   "API clients:  -\n"
		   "Endpoints:    -\n"
		   "Attach mode:  -\n"
		   "Pin dir:      -\n"
		   "\n"
		   "Programs:\n"
		   "  NAME      ID  ATTACH  ATTACHED  TAKEOVER                LAST ERROR\n"
		   "  weft_lxc   9  tc      1/2       1 reattached, 1 failed  weft1234: no such device\n"
		   "\n"
		   "Maps:\n"
		   "  (none pinned)\n",
		   "status", "--socket", "/s", NULL);
}

/* ---- endpoints ----------------------------------------------------------------------------- */

#define EP1 \
	"{\"id\":1,\"container_id\":\"3f2a9c0e1b7d44aa9e51c0d2b8f6a7e1\",\"ifname\":\"eth0\"," \
	"\"netns\":\"/var/run/netns/cni-1\",\"network\":\"weft\",\"host_ifname\":\"weft3f2a9c0e1b7\"," \
	"\"host_ifindex\":12,\"host_mac\":\"02:00:00:00:00:01\",\"pod_mac\":\"0a:58:0a:01:00:05\"," \
	"\"ips\":[\"10.1.0.5\",\"fd00:1::5\"],\"created\":1767225600,\"pod_name\":\"web-0\"," \
	"\"pod_namespace\":\"default\""
#define EP2 \
	"{\"id\":2,\"container_id\":\"podman-abc\",\"ifname\":\"net1\",\"netns\":\"/proc/99/ns/net\"," \
	"\"network\":\"weft\",\"host_ifname\":\"weftpodmanabc\",\"host_ifindex\":13," \
	"\"host_mac\":\"02:00:00:00:00:02\",\"pod_mac\":\"0a:58:0a:01:00:06\",\"ips\":[\"10.1.0.6\"]," \
	"\"created\":1767225660"

static void cmd_endpoint_list_table(void **state)
{
	fake.want_op = "endpoint.list";
	fake.result = "{\"endpoints\":[" EP1 "}," EP2 "}]}";
	expect_out("ID  POD            CONTAINER      IFNAME  ADDRESSES            HOST VETH\n"
		   " 1  default/web-0  3f2a9c0e1b7d4  eth0    10.1.0.5, fd00:1::5  weft3f2a9c0e1b7\n"
		   " 2  -              podman-abc     net1    10.1.0.6             weftpodmanabc\n",
		   "endpoint", "list", NULL);
}

static void cmd_endpoint_list_json(void **state)
{
	fake.want_op = "endpoint.list";
	fake.result = "{\"endpoints\":[" EP2 "}]}";
	/* Full container ids and every field in JSON; no human-only "POD". */
	expect_out("{\n"
		   "  \"endpoints\": [\n"
		   "    {\n"
		   "      \"id\": 2,\n"
		   "      \"pod_namespace\": null,\n"
		   "      \"pod_name\": null,\n"
		   "      \"container_id\": \"podman-abc\",\n"
		   "      \"ifname\": \"net1\",\n"
		   "      \"netns\": \"/proc/99/ns/net\",\n"
		   "      \"network\": \"weft\",\n"
		   "      \"ips\": [\n"
		   "        \"10.1.0.6\"\n"
		   "      ],\n"
		   "      \"pod_mac\": \"0a:58:0a:01:00:06\",\n"
		   "      \"host_ifname\": \"weftpodmanabc\",\n"
		   "      \"host_ifindex\": 13,\n"
		   "      \"host_mac\": \"02:00:00:00:00:02\",\n"
		   "      \"created\": 1767225660\n"
		   "    }\n"
		   "  ]\n"
		   "}\n",
		   "-o", "json", "endpoint", "list", NULL);
}

static void cmd_endpoint_list_empty(void **state)
{
	fake.want_op = "endpoint.list";
	fake.result = "{\"endpoints\":[]}";
	expect_out("no endpoints\n", "endpoint", "list", NULL);
	expect_out("{\n  \"endpoints\": []\n}\n", "endpoint", "list", "-ojson", NULL);
}

#define COUNTERS \
	",\"attached\":true,\"counters\":{\"from_pod_packets\":120,\"from_pod_bytes\":10240," \
	"\"to_pod_packets\":100,\"to_pod_bytes\":9000,\"drops\":{\"spoofed-mac\":0,\"spoofed-ipv4\":3," \
	"\"spoofed-ipv6\":0,\"spoofed-arp\":1,\"spoofed-nd\":0,\"router-advertisement\":0,\"malformed\":0," \
	"\"ttl-exceeded\":0}}}"

static void cmd_endpoint_get_table(void **state)
{
	fake.want_op = "endpoint.get";
	fake.want_args = "{\"id\":1}";
	fake.result = EP1 COUNTERS;
	expect_out("Endpoint:      1\n"
		   "Pod:           default/web-0\n"
		   "Container:     3f2a9c0e1b7d44aa9e51c0d2b8f6a7e1\n"
		   "Interface:     eth0\n"
		   "Netns:         /var/run/netns/cni-1\n"
		   "Network:       weft\n"
		   "Addresses:     10.1.0.5, fd00:1::5\n"
		   "Pod MAC:       0a:58:0a:01:00:05\n"
		   "Host veth:     weft3f2a9c0e1b7\n"
		   "Host ifindex:  12\n"
		   "Host MAC:      02:00:00:00:00:01\n"
		   "Created:       2026-01-01 00:00:00 UTC\n"
		   "Attached:      yes\n"
		   "\n"
		   "Counters:\n"
		   "  From pod:  120 packets, 10240 bytes\n"
		   "  To pod:    100 packets, 9000 bytes\n"
		   "\n"
		   "  Drops:\n"
		   "    spoofed-mac:           0\n"
		   "    spoofed-ipv4:          3\n"
		   "    spoofed-ipv6:          0\n"
		   "    spoofed-arp:           1\n"
		   "    spoofed-nd:            0\n"
		   "    router-advertisement:  0\n"
		   "    malformed:             0\n"
		   "    ttl-exceeded:          0\n"
		   "    total:                 4\n",
		   "endpoint", "get", "1", NULL);
}

static void cmd_endpoint_get_json(void **state)
{
	fake.want_op = "endpoint.get";
	fake.want_args = "{\"container_id\":\"podman-abc\",\"ifname\":\"net1\"}";
	fake.result = EP2 COUNTERS;
	expect_out("{\n"
		   "  \"id\": 2,\n"
		   "  \"pod_namespace\": null,\n"
		   "  \"pod_name\": null,\n"
		   "  \"container_id\": \"podman-abc\",\n"
		   "  \"ifname\": \"net1\",\n"
		   "  \"netns\": \"/proc/99/ns/net\",\n"
		   "  \"network\": \"weft\",\n"
		   "  \"ips\": [\n"
		   "    \"10.1.0.6\"\n"
		   "  ],\n"
		   "  \"pod_mac\": \"0a:58:0a:01:00:06\",\n"
		   "  \"host_ifname\": \"weftpodmanabc\",\n"
		   "  \"host_ifindex\": 13,\n"
		   "  \"host_mac\": \"02:00:00:00:00:02\",\n"
		   "  \"created\": 1767225660,\n"
		   "  \"attached\": true,\n"
		   "  \"counters\": {\n"
		   "    \"from_pod_packets\": 120,\n"
		   "    \"from_pod_bytes\": 10240,\n"
		   "    \"to_pod_packets\": 100,\n"
		   "    \"to_pod_bytes\": 9000,\n"
		   "    \"drops\": {\n"
		   "      \"spoofed-mac\": 0,\n"
		   "      \"spoofed-ipv4\": 3,\n"
		   "      \"spoofed-ipv6\": 0,\n"
		   "      \"spoofed-arp\": 1,\n"
		   "      \"spoofed-nd\": 0,\n"
		   "      \"router-advertisement\": 0,\n"
		   "      \"malformed\": 0,\n"
		   "      \"ttl-exceeded\": 0\n"
		   "    }\n"
		   "  }\n"
		   "}\n",
		   "endpoint", "get", "podman-abc/net1", "-o", "json", NULL);
}

/* No packet seen yet: weftd sends "counters": null. */
static void cmd_endpoint_get_no_counters(void **state)
{
	struct run r;

	fake.want_op = "endpoint.get";
	fake.want_args = "{\"container_id\":\"podman\"}";
	fake.result = EP2 ",\"attached\":false,\"counters\":null}";
	run(&r, "endpoint", "get", "podman", NULL);
	assert_int_equal(r.rc, CLI_OK);
	assert_non_null(strstr(r.out, "Attached:      no\nCounters:      none yet (no packet seen)\n"));
	run_fini(&r);
	run(&r, "endpoint", "get", "podman", "-o", "json", NULL);
	assert_int_equal(r.rc, CLI_OK);
	assert_non_null(strstr(r.out, "  \"attached\": false,\n  \"counters\": null\n}\n"));
	run_fini(&r);
}

/* ---- bpf map dump ------------------------------------------------------------------------------- */

static void cmd_map_dump(void **state)
{
	fake.want_op = "bpf.map.dump";
	fake.want_args = "{\"name\":\"weft_ep_ip\"}";
	fake.result = "{\"name\":\"weft_ep_ip\",\"type\":\"hash\",\"max_entries\":16384,"
		      "\"entries\":[{\"key\":{\"family\":4,\"addr\":\"10.1.0.5\"},\"value\":{\"id\":1,"
		      "\"ifindex\":12,\"pod_mac\":\"0a:58:0a:01:00:05\",\"host_mac\":\"02:00:00:00:00:01\","
		      "\"flags\":[\"ipv4\",\"ipv6\"],\"ipv4\":\"10.1.0.5\",\"ipv6\":\"fd00:1::5\"}}],"
		      "\"pinned\":\"/sys/fs/bpf/weft/n/weft_ep_ip\"}";
	expect_out("Map:          weft_ep_ip\n"
		   "Type:         hash\n"
		   "Max entries:  16384\n"
		   "Entries:      1\n"
		   "Pinned:       /sys/fs/bpf/weft/n/weft_ep_ip\n"
		   "\n"
		   "FAMILY  ADDR      ID  IFINDEX  POD_MAC            HOST_MAC           FLAGS       IPV4      IPV6\n"
		   "     4  10.1.0.5   1       12  0a:58:0a:01:00:05  02:00:00:00:00:01  ipv4, ipv6  10.1.0.5  fd00:1::5\n",
		   "bpf", "map", "dump", "weft_ep_ip", NULL);
	expect_out("{\n"
		   "  \"name\": \"weft_ep_ip\",\n"
		   "  \"type\": \"hash\",\n"
		   "  \"max_entries\": 16384,\n"
		   "  \"pinned\": \"/sys/fs/bpf/weft/n/weft_ep_ip\",\n"
		   "  \"entries\": [\n"
		   "    {\n"
		   "      \"key\": {\n"
		   "        \"family\": 4,\n"
		   "        \"addr\": \"10.1.0.5\"\n"
		   "      },\n"
		   "      \"value\": {\n"
		   "        \"id\": 1,\n"
		   "        \"ifindex\": 12,\n"
		   "        \"pod_mac\": \"0a:58:0a:01:00:05\",\n"
		   "        \"host_mac\": \"02:00:00:00:00:01\",\n"
		   "        \"flags\": [\n"
		   "          \"ipv4\",\n"
		   "          \"ipv6\"\n"
		   "        ],\n"
		   "        \"ipv4\": \"10.1.0.5\",\n"
		   "        \"ipv6\": \"fd00:1::5\"\n"
		   "      }\n"
		   "    }\n"
		   "  ]\n"
		   "}\n",
		   "-o", "json", "bpf", "map", "dump", "weft_ep_ip", NULL);
}

/* weft_ep_if: the key's ifindex is repeated in the value, so the key keeps its prefix. */
static void cmd_map_dump_overlap(void **state)
{
	fake.want_op = "bpf.map.dump";
	fake.want_args = "{\"name\":\"weft_ep_if\"}";
	fake.result = "{\"name\":\"weft_ep_if\",\"type\":\"hash\",\"max_entries\":16384,"
		      "\"entries\":[{\"key\":{\"ifindex\":12},\"value\":{\"id\":1,\"ifindex\":12}}],"
		      "\"pinned\":\"/p\"}";
	expect_out("Map:          weft_ep_if\n"
		   "Type:         hash\n"
		   "Max entries:  16384\n"
		   "Entries:      1\n"
		   "Pinned:       /p\n"
		   "\n"
		   "KEY.IFINDEX  ID  IFINDEX\n"
		   "         12   1       12\n",
		   "bpf", "map", "dump", "weft_ep_if", NULL);

	fake.want_args = "{\"name\":\"weft_counters\"}";
	fake.result = "{\"name\":\"weft_counters\",\"entries\":[]}";
	expect_out("Map:          weft_counters\n"
		   "Type:         -\n"
		   "Max entries:  -\n"
		   "Entries:      0\n"
		   "Pinned:       -\n"
		   "\n"
		   "(no entries)\n",
		   "bpf", "map", "dump", "weft_counters", NULL);
}

/* weft_counters: drops by reason are one column for people (the non-zero ones), all of them
 * in JSON. */
static void cmd_map_dump_counters(void **state)
{
	fake.want_op = "bpf.map.dump";
	fake.want_args = "{\"name\":\"weft_counters\"}";
	fake.result = "{\"name\":\"weft_counters\",\"type\":\"percpu_hash\",\"max_entries\":16384,"
		      "\"pinned\":\"/p\",\"entries\":["
		      "{\"key\":{\"ep_id\":1},\"value\":{\"from_pod_packets\":10,\"from_pod_bytes\":868,"
		      "\"to_pod_packets\":0,\"to_pod_bytes\":0,\"drops\":{\"spoofed-mac\":0,\"spoofed-ipv4\":2,"
		      "\"spoofed-arp\":1}}},"
		      "{\"key\":{\"ep_id\":2},\"value\":{\"from_pod_packets\":1,\"from_pod_bytes\":98,"
		      "\"to_pod_packets\":3,\"to_pod_bytes\":294,\"drops\":{\"spoofed-mac\":0,\"spoofed-ipv4\":0,"
		      "\"spoofed-arp\":0}}}]}";
	expect_out("Map:          weft_counters\n"
		   "Type:         percpu_hash\n"
		   "Max entries:  16384\n"
		   "Entries:      2\n"
		   "Pinned:       /p\n"
		   "\n"
		   "EP_ID  FROM_POD_PACKETS  FROM_POD_BYTES  TO_POD_PACKETS  TO_POD_BYTES  DROPS\n"
		   "    1                10             868               0             0  spoofed-ipv4=2, spoofed-arp=1\n"
		   "    2                 1              98               3           294  0\n",
		   "bpf", "map", "dump", "weft_counters", NULL);
	expect_out("{\n"
		   "  \"name\": \"weft_counters\",\n"
		   "  \"type\": \"percpu_hash\",\n"
		   "  \"max_entries\": 16384,\n"
		   "  \"pinned\": \"/p\",\n"
		   "  \"entries\": [\n"
		   "    {\n"
		   "      \"key\": {\n"
		   "        \"ep_id\": 1\n"
		   "      },\n"
		   "      \"value\": {\n"
		   "        \"from_pod_packets\": 10,\n"
		   "        \"from_pod_bytes\": 868,\n"
		   "        \"to_pod_packets\": 0,\n"
		   "        \"to_pod_bytes\": 0,\n"
		   "        \"drops\": {\n"
		   "          \"spoofed-mac\": 0,\n"
		   "          \"spoofed-ipv4\": 2,\n"
		   "          \"spoofed-arp\": 1\n"
		   "        }\n"
		   "      }\n"
		   "    },\n"
		   "    {\n"
		   "      \"key\": {\n"
		   "        \"ep_id\": 2\n"
		   "      },\n"
		   "      \"value\": {\n"
		   "        \"from_pod_packets\": 1,\n"
		   "        \"from_pod_bytes\": 98,\n"
		   "        \"to_pod_packets\": 3,\n"
		   "        \"to_pod_bytes\": 294,\n"
		   "        \"drops\": {\n"
		   "          \"spoofed-mac\": 0,\n"
		   "          \"spoofed-ipv4\": 0,\n"
		   "          \"spoofed-arp\": 0\n"
		   "        }\n"
		   "      }\n"
		   "    }\n"
		   "  ]\n"
		   "}\n",
		   "bpf", "map", "dump", "weft_counters", "-o", "json", NULL);
}

/* ---- errors -------------------------------------------------------------------------------------- */

static void cmd_daemon_errors(void **state)
{
	struct run r;

	fake.want_op = "endpoint.get";
	fake.want_args = "{\"id\":7}";
	fake.error = "not-found: no endpoint 7";
	run(&r, "endpoint", "get", "7", "-o", "json", NULL);
	assert_int_equal(r.rc, CLI_ERR);
	assert_text(r.out, "");
	assert_text(r.err, "weftctl: endpoint get: not-found: no endpoint 7\n");
	run_fini(&r);

	fake.want_op = "bpf.map.dump";
	fake.want_args = "{\"name\":\"weft_events\"}";
	fake.error = "internal: cannot dump map weft_events: weft_events is a ring buffer";
	run(&r, "bpf", "map", "dump", "weft_events", NULL);
	assert_int_equal(r.rc, CLI_ERR);
	assert_text(r.err, "weftctl: bpf map dump: internal: cannot dump map weft_events: weft_events is a ring buffer\n");
	run_fini(&r);

	/* A transport failure from the client, as lib/api.c words it. */
	fake.want_op = "status";
	fake.want_args = NULL;
	fake.error = "timed out after 5000 ms waiting for weftd";
	run(&r, "status", NULL);
	assert_int_equal(r.rc, CLI_ERR);
	assert_text(r.err, "weftctl: status: timed out after 5000 ms waiting for weftd\n");
	run_fini(&r);

	/* An answer of the wrong shape is an error, not a crash or an empty table. */
	fake.error = NULL;
	fake.result = "[1,2]";
	run(&r, "status", NULL);
	assert_int_equal(r.rc, CLI_ERR);
	assert_text(r.err, "weftctl: status: weftd's answer to 'status' is not a JSON object\n");
	run_fini(&r);
}

static void cmd_connect_errors(void **state)
{
	static const struct {
		int rc;
		const char *msg;
	} cases[] = {
		{ -ENOENT, "weftctl: weftd is not running: no socket at /x.sock\n" },
		{ -ECONNREFUSED, "weftctl: weftd is not running: connection refused at /x.sock\n" },
		{ -EACCES, "weftctl: cannot connect to weftd at /x.sock: permission denied (the socket is for "
			   "root or weftd's group)\n" },
		{ -ETIMEDOUT, "weftctl: weftd did not accept the connection within 5000 ms at /x.sock\n" },
		{ -ENOTSOCK, "weftctl: cannot connect to weftd at /x.sock: Socket operation on non-socket\n" },
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake.open_rc = cases[i].rc;
		fake.calls = 0;
		run(&r, "--socket", "/x.sock", "endpoint", "list", NULL);
		assert_int_equal(r.rc, CLI_ERR);
		assert_int_equal(fake.calls, 0);
		assert_text(r.out, "");
		assert_text(r.err, cases[i].msg);
		run_fini(&r);
	}
}

/* Streams (monitor, later): events reach the callback in order, then the result; a callback
 * that stops ends the call without an error. */
static int count_events(json_t *event, void *arg)
{
	int *seen = arg;

	assert_int_equal(json_integer_value(json_object_get(event, "n")), seen[0]);
	return ++seen[0] == seen[1];
}

static void cmd_stream(void **state)
{
	json_t *res = (json_t *)1;
	int seen[2] = { 0, 0 };   /* events seen, stop after (0: never) */
	struct cli cli;
	char *errbuf = NULL;
	size_t errlen = 0;
	FILE *err = open_memstream(&errbuf, &errlen);

	cli_init(&cli, stdout, err);
	cli.socket = "/s";
	fake.want_op = "monitor";
	fake.events = 3;
	fake.result = "{\"done\":true}";
	assert_int_equal(cli_call_events(&cli, "monitor", NULL, count_events, seen, &res), CLI_OK);
	assert_int_equal(seen[0], 3);
	assert_true(json_is_true(json_object_get(res, "done")));
	json_decref(res);

	seen[0] = 0;
	seen[1] = 2;
	assert_int_equal(cli_call_events(&cli, "monitor", NULL, count_events, seen, &res), CLI_OK);
	assert_int_equal(seen[0], 2);
	assert_null(res);
	fclose(err);
	assert_string_equal(errbuf, "");
	free(errbuf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(cmd_status_table, fake_reset),
		cmocka_unit_test_setup(cmd_status_json, fake_reset),
		cmocka_unit_test_setup(cmd_status_takeover_error, fake_reset),
		cmocka_unit_test_setup(cmd_endpoint_list_table, fake_reset),
		cmocka_unit_test_setup(cmd_endpoint_list_json, fake_reset),
		cmocka_unit_test_setup(cmd_endpoint_list_empty, fake_reset),
		cmocka_unit_test_setup(cmd_endpoint_get_table, fake_reset),
		cmocka_unit_test_setup(cmd_endpoint_get_json, fake_reset),
		cmocka_unit_test_setup(cmd_endpoint_get_no_counters, fake_reset),
		cmocka_unit_test_setup(cmd_map_dump, fake_reset),
		cmocka_unit_test_setup(cmd_map_dump_overlap, fake_reset),
		cmocka_unit_test_setup(cmd_map_dump_counters, fake_reset),
		cmocka_unit_test_setup(cmd_daemon_errors, fake_reset),
		cmocka_unit_test_setup(cmd_connect_errors, fake_reset),
		cmocka_unit_test_setup(cmd_stream, fake_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
