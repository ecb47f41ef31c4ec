/* `weftctl bpf map dump NAME`: the entries of one of the node's pinned BPF maps, keys and values
 * decoded by field name by weftd (bpf/weft_shared.h is the layout). The shapes are generic here,
 * so a map added to the data path needs no change in weftctl. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define BPF_OP_MAP_DUMP "bpf.map.dump"
/* BPF object names are at most BPF_OBJ_NAME_LEN - 1 = 15 characters. */
#define BPF_MAP_NAME_MAX 15

static int bpf_map_main(struct cli *cli, int argc, char **argv);
static int bpf_map_dump_main(struct cli *cli, int argc, char **argv);

static const struct cli_cmd bpf_cmds[] = {
	{ "map", bpf_map_main, "dump NAME", "the node's pinned BPF maps", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct cli_cmd bpf_map_cmds[] = {
	{ "dump", bpf_map_dump_main, "NAME", "every entry of one map, keys and values by field",
	  "NAME is a map's name as `weftctl status` lists it (weft_ep_ip, weft_ep_if,\n"
	  "weft_counters, ...). Per-CPU values are summed over CPUs by weftd.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

int bpf_main(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, bpf_cmds, argc, argv);
}

static int bpf_map_main(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, bpf_map_cmds, argc, argv);
}

bool bpf_map_name_valid(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= BPF_MAP_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == len;
}

/* Whether the key and the value objects share a field name (weft_ep_if: the key is the
 * ifindex, which the value repeats): then the key's columns keep a KEY. prefix. */
static bool bpf_fields_overlap(json_t *entries)
{
	json_t *e, *k, *v;
	const char *name;
	size_t i;

	json_array_foreach(entries, i, e) {
		k = json_object_get(e, "key");
		v = json_object_get(e, "value");
		if (!json_is_object(k) || !json_is_object(v))
			continue;
		json_object_foreach(k, name, e)
			if (json_object_get(v, name))
				return true;
	}
	return false;
}

/* An object whose members are all counts (a counters value's "drops" by reason). */
static bool bpf_is_counter_set(json_t *o)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o) || json_object_size(o) == 0)
		return false;
	json_object_foreach(o, k, v)
		if (!json_is_integer(v))
			return false;
	return true;
}

/* A value's fields as columns. A set of counts (drops by reason) would be a column per reason:
 * people get one column of the non-zero ones ("spoofed-ipv4=2", or 0), JSON keeps them all. */
static void bpf_value_add(struct pr_node *row, json_t *value)
{
	struct pr_node *o = pr_obj(row, "value", ""), *j;
	char *text, *next, *label, *c;
	const char *k, *ck;
	json_t *v, *cv;

	json_object_foreach(value, k, v) {
		if (!bpf_is_counter_set(v)) {
			pr_json(o, k, NULL, v);
			continue;
		}
		/* No label: the object and all in it are for JSON only. */
		j = pr_obj(o, k, NULL);
		json_object_foreach(v, ck, cv)
			pr_json(j, ck, NULL, cv);
		text = NULL;
		json_object_foreach(v, ck, cv) {
			if (json_integer_value(cv) == 0)
				continue;
			if (asprintf(&next, "%s%s%s=%" JSON_INTEGER_FORMAT, text ? text : "", text ? ", " : "", ck,
				     json_integer_value(cv)) < 0)
				next = NULL;
			free(text);
			text = next;
		}
		label = strdup(k);
		for (c = label; c && *c; c++)
			*c = (char)toupper((unsigned char)*c);
		pr_str(o, NULL, label ? label : k, text ? text : "0");
		free(label);
		free(text);
	}
}

struct pr *bpf_map_view(const char *name, json_t *res)
{
	struct pr *p = pr_new();
	struct pr_node *root = pr_root(p), *t, *row;
	json_t *entries = json_object_get(res, "entries"), *e, *k, *v;
	bool prefix = bpf_fields_overlap(entries);
	unsigned long long u;
	const char *field;
	size_t i;

	pr_str(root, "name", "Map", cli_json_str(res, "name") ? cli_json_str(res, "name") : name);
	pr_str(root, "type", "Type", cli_json_str(res, "type"));
	if (cli_json_uint(res, "max_entries", &u))
		pr_uint(root, "max_entries", "Max entries", u);
	else
		pr_str(root, "max_entries", "Max entries", NULL);
	pr_uint(root, NULL, "Entries", json_array_size(entries));
	pr_str(root, "pinned", "Pinned", cli_json_str(res, "pinned"));
	t = pr_table(root, "entries", "");
	pr_table_empty(t, "(no entries)");
	json_array_foreach(entries, i, e) {
		row = pr_row(t);
		k = json_object_get(e, "key");
		v = json_object_get(e, "value");
		if (!json_is_object(e) || (!k && !v)) {
			/* Not the {key, value} shape: show it as it came. */
			pr_json(row, "entry", "ENTRY", e);
			continue;
		}
		pr_json(row, "key", json_is_object(k) && !prefix ? "" : "KEY", k ? k : json_null());
		if (json_is_object(v))
			bpf_value_add(row, v);
		else
			pr_json(row, "value", "VALUE", v ? v : json_null());
		/* Anything else weftd says about an entry. */
		json_object_foreach(e, field, v)
			if (strcmp(field, "key") != 0 && strcmp(field, "value") != 0)
				pr_json(row, field, NULL, v);
	}
	return p;
}

static int bpf_map_dump_main(struct cli *cli, int argc, char **argv)
{
	json_t *args = NULL, *res = NULL;
	int rc = cli_leaf_begin(cli, &bpf_map_cmds[0], argc, argv, 1, 1);

	if (rc >= 0)
		return rc;
	if (!bpf_map_name_valid(argv[1]))
		return cli_usage_error(cli, "bad map name '%.64s': expected 1 to %d letters, digits, '_' or '.'",
				       argv[1], BPF_MAP_NAME_MAX);
	args = json_pack("{s:s}", "name", argv[1]);
	if (!args)
		return cli_error(cli, "out of memory");
	rc = cli_call(cli, BPF_OP_MAP_DUMP, args, &res);
	if (rc == CLI_OK)
		rc = cli_output(cli, bpf_map_view(argv[1], res));
	json_decref(res);
	json_decref(args);
	return rc;
}
