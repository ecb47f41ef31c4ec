/* The printer behind every weftctl command: a small tree of fields, tables and lists that is
 * built once and rendered either as aligned human text or as JSON. Human text is sanitised
 * (control bytes become '?'), since names and ids come from the daemon and from pods. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

enum pr_kind { PR_K_SCALAR, PR_K_OBJ, PR_K_TABLE, PR_K_LIST };

struct pr_node {
	struct pr *pr;
	enum pr_kind kind;
	bool row;           /* an object that is a row of a table */
	bool in_row;        /* inside a row: generic labels are upper case, objects become columns */
	char *key;          /* JSON key, NULL: human only */
	char *label;        /* human label or column header, NULL: JSON only */
	json_t *json;       /* scalar: its JSON value */
	char *text;         /* scalar: its human text */
	bool numeric;       /* scalar: right-aligned in tables */
	char *empty;        /* table: shown instead of the headers when there are no rows */
	struct pr_node *head, *tail, *next;
};

struct pr {
	struct pr_node root;
	int err;
};

/* ---- building --------------------------------------------------------------------------- */

static void pr_node_free(struct pr_node *n)
{
	struct pr_node *c, *next;

	for (c = n->head; c; c = next) {
		next = c->next;
		pr_node_free(c);
		free(c);
	}
	free(n->key);
	free(n->label);
	free(n->text);
	free(n->empty);
	json_decref(n->json);
}

struct pr *pr_new(void)
{
	struct pr *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->root.pr = p;
	p->root.kind = PR_K_OBJ;
	return p;
}

void pr_free(struct pr *p)
{
	if (!p)
		return;
	pr_node_free(&p->root);
	free(p);
}

struct pr_node *pr_root(struct pr *p)
{
	return p ? &p->root : NULL;
}

static char *pr_strdup(struct pr *p, const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		p->err = -ENOMEM;
	return d;
}

/* Human text never carries control bytes: a pod name or an id is not allowed to move the
 * cursor of the terminal it is printed on. */
static char *pr_text_dup(struct pr *p, const char *s)
{
	char *d = pr_strdup(p, s), *c;

	for (c = d; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return d;
}

static struct pr_node *pr_node_add(struct pr_node *parent, enum pr_kind kind, const char *key,
				   const char *label)
{
	struct pr *p;
	struct pr_node *n;

	if (!parent)
		return NULL;
	p = parent->pr;
	n = calloc(1, sizeof(*n));
	if (!n) {
		p->err = -ENOMEM;
		return NULL;
	}
	n->pr = p;
	n->kind = kind;
	n->in_row = parent->row || parent->in_row;
	if (parent->kind != PR_K_LIST) {
		n->key = pr_strdup(p, key);
		n->label = pr_strdup(p, label);
		if ((key && !n->key) || (label && !n->label)) {
			pr_node_free(n);
			free(n);
			return NULL;
		}
	}
	if (parent->tail)
		parent->tail->next = n;
	else
		parent->head = n;
	parent->tail = n;
	return n;
}

struct pr_node *pr_obj(struct pr_node *parent, const char *key, const char *label)
{
	return pr_node_add(parent, PR_K_OBJ, key, label);
}

struct pr_node *pr_table(struct pr_node *parent, const char *key, const char *label)
{
	return pr_node_add(parent, PR_K_TABLE, key, label);
}

struct pr_node *pr_row(struct pr_node *table)
{
	struct pr_node *n;

	if (!table || table->kind != PR_K_TABLE)
		return NULL;
	n = pr_node_add(table, PR_K_OBJ, NULL, NULL);
	if (n)
		n->row = true;
	return n;
}

struct pr_node *pr_list(struct pr_node *parent, const char *key, const char *label)
{
	return pr_node_add(parent, PR_K_LIST, key, label);
}

void pr_table_empty(struct pr_node *table, const char *text)
{
	if (!table || table->kind != PR_K_TABLE)
		return;
	free(table->empty);
	table->empty = pr_text_dup(table->pr, text);
}

static void pr_scalar(struct pr_node *parent, const char *key, const char *label, json_t *v,
		      const char *text, bool numeric)
{
	struct pr_node *n;

	if (!parent) {
		json_decref(v);
		return;
	}
	if (!v || !text) {
		parent->pr->err = -ENOMEM;
		json_decref(v);
		return;
	}
	n = pr_node_add(parent, PR_K_SCALAR, key, label);
	if (!n) {
		json_decref(v);
		return;
	}
	n->json = v;
	n->text = pr_text_dup(n->pr, text);
	n->numeric = numeric;
}

void pr_str(struct pr_node *n, const char *key, const char *label, const char *v)
{
	pr_scalar(n, key, label, v ? json_string(v) : json_null(), v ? v : "-", false);
}

void pr_uint(struct pr_node *n, const char *key, const char *label, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	/* jansson integers are signed 64-bit; counters never get near 2^63. */
	pr_scalar(n, key, label, json_integer((json_int_t)v), buf, true);
}

void pr_int(struct pr_node *n, const char *key, const char *label, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	pr_scalar(n, key, label, json_integer((json_int_t)v), buf, true);
}

void pr_bool(struct pr_node *n, const char *key, const char *label, bool v)
{
	pr_scalar(n, key, label, json_boolean(v), v ? "yes" : "no", false);
}

void pr_value(struct pr_node *n, const char *key, const char *label, json_t *v, const char *text)
{
	pr_scalar(n, key, label, v, text, json_is_number(v));
}

void pr_valuef(struct pr_node *n, const char *key, const char *label, json_t *v, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (len < 0)
		text = NULL;
	pr_value(n, key, label, v, text);
	free(text);
}

static char *pr_upper(struct pr *p, const char *s)
{
	char *u = pr_strdup(p, s), *c;

	for (c = u; c && *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return u;
}

static bool pr_json_all_objects(json_t *a)
{
	size_t i;
	json_t *e;

	if (json_array_size(a) == 0)
		return false;
	json_array_foreach(a, i, e)
		if (!json_is_object(e))
			return false;
	return true;
}

static void pr_json_fields(struct pr_node *n, json_t *obj)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
		pr_json(n, k, NULL, v);
}

void pr_json(struct pr_node *n, const char *key, const char *label, json_t *v)
{
	char *upper = NULL;
	const char *lab = label;
	struct pr_node *c;
	size_t i;
	json_t *e;

	if (!n || !v)
		return;
	if (!lab) {
		/* Generic data: the key is the label, upper case where it heads a column. */
		if (n->row || n->in_row) {
			upper = pr_upper(n->pr, key);
			lab = upper;
		} else {
			lab = key;
		}
		if (key && !lab)
			return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		pr_json_fields(pr_obj(n, key, lab), v);
		break;
	case JSON_ARRAY:
		if (pr_json_all_objects(v)) {
			c = pr_table(n, key, lab);
			json_array_foreach(v, i, e)
				pr_json_fields(pr_row(c), e);
			break;
		}
		c = pr_list(n, key, lab);
		json_array_foreach(v, i, e)
			pr_json(c, NULL, "", e);
		break;
	case JSON_STRING:
		pr_str(n, key, lab, json_string_value(v));
		break;
	case JSON_INTEGER:
		pr_int(n, key, lab, json_integer_value(v));
		break;
	case JSON_REAL:
		pr_valuef(n, key, lab, json_real(json_real_value(v)), "%g", json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		pr_bool(n, key, lab, json_is_true(v));
		break;
	case JSON_NULL:
		pr_value(n, key, lab, json_null(), "-");
		break;
	}
	free(upper);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static json_t *pr_node_json(const struct pr_node *n)
{
	const struct pr_node *c;
	json_t *v, *cv;

	switch (n->kind) {
	case PR_K_SCALAR:
		return json_incref(n->json);
	case PR_K_OBJ:
		v = json_object();
		for (c = n->head; v && c; c = c->next) {
			if (!c->key)
				continue;
			cv = pr_node_json(c);
			if (!cv || json_object_set_new(v, c->key, cv) < 0) {
				json_decref(v);
				return NULL;
			}
		}
		return v;
	case PR_K_TABLE:
	case PR_K_LIST:
		v = json_array();
		for (c = n->head; v && c; c = c->next) {
			cv = pr_node_json(c);
			if (!cv || json_array_append_new(v, cv) < 0) {
				json_decref(v);
				return NULL;
			}
		}
		return v;
	}
	return NULL;
}

static int pr_render_json(const struct pr *p, FILE *out)
{
	json_t *doc = pr_node_json(&p->root);
	int rc = 0;

	if (!doc)
		return -ENOMEM;
	if (json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', out) == EOF)
		rc = -EIO;
	json_decref(doc);
	return rc;
}

/* ---- human text ------------------------------------------------------------------------- */

static char *pr_cell_text(const struct pr_node *n);

/* The text of a list: its items joined by ", ", "-" when empty. malloc'd. */
static char *pr_list_text(const struct pr_node *n)
{
	const struct pr_node *c;
	char *s = NULL, *item, *joined;

	if (!n->head)
		return strdup("-");
	for (c = n->head; c; c = c->next) {
		item = pr_cell_text(c);
		if (!item || asprintf(&joined, "%s%s%s", s ? s : "", s ? ", " : "", item) < 0) {
			free(item);
			free(s);
			return NULL;
		}
		free(item);
		free(s);
		s = joined;
	}
	return s;
}

/* A nested table inside a row is rare (generic map data); it shows as compact JSON. */
static char *pr_cell_text(const struct pr_node *n)
{
	json_t *v;
	char *s, *c;

	switch (n->kind) {
	case PR_K_SCALAR:
		return strdup(n->text);
	case PR_K_LIST:
		return pr_list_text(n);
	default:
		v = pr_node_json(n);
		s = v ? json_dumps(v, JSON_COMPACT) : NULL;
		json_decref(v);
		for (c = s; c && *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		return s;
	}
}

struct pr_col {
	char *name;
	size_t width;
	bool numeric, has_number;
};

struct pr_cols {
	struct pr_col *v;
	size_t n;
	char **cells;   /* one row's texts, indexed like v */
};

/* Visit the cells of a row: objects nested in it flatten to "LABEL.SUB" columns. */
static int pr_row_walk(const struct pr_node *obj, const char *prefix,
		       int (*fn)(struct pr_cols *cols, const char *name, const struct pr_node *cell),
		       struct pr_cols *cols)
{
	const struct pr_node *c;
	char name[256];
	int rc;

	for (c = obj->head; c; c = c->next) {
		if (!c->label)
			continue;
		/* A longer name is cut: still its own column (names come from the daemon's keys). */
		if (snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] && c->label[0] ? "." : "", c->label) < 0)
			return -EINVAL;
		if (c->kind == PR_K_OBJ)
			rc = pr_row_walk(c, name, fn, cols);
		else
			rc = fn(cols, name, c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static ssize_t pr_col_find(const struct pr_cols *cols, const char *name)
{
	size_t i;

	for (i = 0; i < cols->n; i++)
		if (strcmp(cols->v[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static int pr_col_measure(struct pr_cols *cols, const char *name, const struct pr_node *cell)
{
	ssize_t i = pr_col_find(cols, name);
	struct pr_col *nv;
	char *text;
	size_t w;

	if (i < 0) {
		nv = realloc(cols->v, (cols->n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		cols->v = nv;
		nv[cols->n].name = strdup(name);
		if (!nv[cols->n].name)
			return -ENOMEM;
		nv[cols->n].width = strlen(name);
		nv[cols->n].numeric = true;
		nv[cols->n].has_number = false;
		i = (ssize_t)cols->n++;
	}
	text = pr_cell_text(cell);
	if (!text)
		return -ENOMEM;
	w = strlen(text);
	free(text);
	if (w > cols->v[i].width)
		cols->v[i].width = w;
	/* A missing number ("-") does not turn a column of numbers into text, but a column needs
	 * one number to be one. */
	if (cell->kind == PR_K_SCALAR && cell->numeric)
		cols->v[i].has_number = true;
	else if (!(cell->kind == PR_K_SCALAR && strcmp(cell->text, "-") == 0))
		cols->v[i].numeric = false;
	return 0;
}

static int pr_col_fill(struct pr_cols *cols, const char *name, const struct pr_node *cell)
{
	ssize_t i = pr_col_find(cols, name);

	if (i < 0 || cols->cells[i])
		return 0;
	cols->cells[i] = pr_cell_text(cell);
	return cols->cells[i] ? 0 : -ENOMEM;
}

static void pr_line_print(FILE *out, int indent, const struct pr_cols *cols, char **texts)
{
	size_t i, w;
	const char *t;

	fprintf(out, "%*s", indent, "");
	for (i = 0; i < cols->n; i++) {
		t = texts[i] ? texts[i] : "-";
		w = cols->v[i].width;
		if (cols->v[i].numeric && cols->v[i].has_number)
			fprintf(out, "%*s", (int)w, t);
		else if (i + 1 == cols->n)
			fputs(t, out);   /* no trailing blanks */
		else
			fprintf(out, "%-*s", (int)w, t);
		if (i + 1 < cols->n)
			fputs("  ", out);
	}
	fputc('\n', out);
}

/* A table rendered in one or more parts: the columns (and their widths) of the rows seen so
 * far, and whether the header line is out. */
struct pr_stream {
	FILE *out;
	int indent;
	struct pr_cols cols;
	bool header;
	char *empty;        /* the empty text of the tables given, for pr_stream_end */
	int err;
};

/* Print t's rows: the header first if it is not out yet. */
static int pr_stream_table(struct pr_stream *s, const struct pr_node *t)
{
	const struct pr_node *row;
	char **names = NULL;
	size_t i;
	int rc = 0;

	for (row = t->head; row && rc == 0; row = row->next)
		rc = pr_row_walk(row, "", pr_col_measure, &s->cols);
	if (rc < 0)
		return rc;
	s->cols.cells = calloc(s->cols.n ? s->cols.n : 1, sizeof(*s->cols.cells));
	names = calloc(s->cols.n ? s->cols.n : 1, sizeof(*names));
	if (!s->cols.cells || !names) {
		rc = -ENOMEM;
		goto out;
	}
	if (!s->header && t->head) {
		for (i = 0; i < s->cols.n; i++)
			names[i] = s->cols.v[i].name;
		pr_line_print(s->out, s->indent, &s->cols, names);
		s->header = true;
	}
	for (row = t->head; row; row = row->next) {
		rc = pr_row_walk(row, "", pr_col_fill, &s->cols);
		if (rc == 0)
			pr_line_print(s->out, s->indent, &s->cols, s->cols.cells);
		for (i = 0; i < s->cols.n; i++) {
			free(s->cols.cells[i]);
			s->cols.cells[i] = NULL;
		}
		if (rc < 0)
			goto out;
	}
out:
	free(names);
	free(s->cols.cells);
	s->cols.cells = NULL;
	return rc;
}

static void pr_stream_fini(struct pr_stream *s)
{
	for (size_t i = 0; i < s->cols.n; i++)
		free(s->cols.v[i].name);
	free(s->cols.v);
	free(s->empty);
}

static int pr_render_table(const struct pr_node *t, int indent, FILE *out)
{
	struct pr_stream s = { .out = out, .indent = indent };
	int rc = 0;

	if (!t->head) {
		if (t->empty)
			fprintf(out, "%*s%s\n", indent, "", t->empty);
		return 0;
	}
	rc = pr_stream_table(&s, t);
	pr_stream_fini(&s);
	return rc;
}

struct pr_stream *pr_stream_new(FILE *out)
{
	struct pr_stream *s = calloc(1, sizeof(*s));

	if (s)
		s->out = out;
	return s;
}

int pr_stream_rows(struct pr_stream *s, const struct pr_node *table)
{
	int rc;

	if (!s || !table)
		return -ENOMEM;
	if (s->err || (s->err = table->pr->err))
		return s->err;
	if (!s->empty && table->empty && !(s->empty = strdup(table->empty)))
		return s->err = -ENOMEM;
	rc = pr_stream_table(s, table);
	if (rc < 0)
		s->err = rc;
	if (!s->err && ferror(s->out))
		s->err = -EIO;
	return s->err;
}

int pr_stream_end(struct pr_stream *s)
{
	int rc;

	if (!s)
		return -ENOMEM;
	rc = s->err;
	if (!rc && !s->header && s->empty)
		fprintf(s->out, "%*s%s\n", s->indent, "", s->empty);
	if (!rc && (fflush(s->out) == EOF || ferror(s->out)))
		rc = -EIO;
	pr_stream_free(s);
	return rc;
}

void pr_stream_free(struct pr_stream *s)
{
	if (!s)
		return;
	pr_stream_fini(s);
	free(s);
}

/* An object: its scalars and lists as "Label:  value" with the values aligned, each nested
 * object or table under a "Label:" heading, indented, set off by blank lines. */
static int pr_render_obj(const struct pr_node *obj, int indent, FILE *out)
{
	const struct pr_node *c;
	bool printed = false, after_block = false;
	size_t width = 0, len;
	char *text;
	int rc;

	for (c = obj->head; c; c = c->next)
		if (c->label && (c->kind == PR_K_SCALAR || c->kind == PR_K_LIST) &&
		    (len = strlen(c->label)) > width)
			width = len;
	for (c = obj->head; c; c = c->next) {
		if (!c->label)
			continue;
		if (c->kind == PR_K_SCALAR || c->kind == PR_K_LIST) {
			text = pr_cell_text(c);
			if (!text)
				return -ENOMEM;
			if (after_block)
				fputc('\n', out);
			fprintf(out, "%*s%s:%*s%s\n", indent, "", c->label,
				(int)(width - strlen(c->label) + 2), "", text);
			free(text);
			after_block = false;
			printed = true;
			continue;
		}
		if (printed)
			fputc('\n', out);
		if (c->label[0])
			fprintf(out, "%*s%s:\n", indent, "", c->label);
		if (c->kind == PR_K_TABLE)
			rc = pr_render_table(c, indent + (c->label[0] ? 2 : 0), out);
		else
			rc = pr_render_obj(c, indent + (c->label[0] ? 2 : 0), out);
		if (rc < 0)
			return rc;
		printed = after_block = true;
	}
	return 0;
}

int pr_render(struct pr *p, enum pr_format fmt, FILE *out)
{
	int rc;

	if (!p)
		return -ENOMEM;
	if (p->err)
		return p->err;
	rc = fmt == PR_JSON ? pr_render_json(p, out) : pr_render_obj(&p->root, 0, out);
	if (rc == 0 && (fflush(out) == EOF || ferror(out)))
		rc = -EIO;
	return rc;
}

bool pr_format_parse(const char *s, enum pr_format *out)
{
	if (strcmp(s, "table") == 0)
		*out = PR_TABLE;
	else if (strcmp(s, "json") == 0)
		*out = PR_JSON;
	else
		return false;
	return true;
}

void pr_duration_fmt(uint64_t s, char *buf, size_t len)
{
	uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;

	if (d)
		snprintf(buf, len, "%llud%lluh%llum%llus", (unsigned long long)d, (unsigned long long)h,
			 (unsigned long long)m, (unsigned long long)sec);
	else if (h)
		snprintf(buf, len, "%lluh%llum%llus", (unsigned long long)h, (unsigned long long)m,
			 (unsigned long long)sec);
	else if (m)
		snprintf(buf, len, "%llum%llus", (unsigned long long)m, (unsigned long long)sec);
	else
		snprintf(buf, len, "%llus", (unsigned long long)sec);
}

void pr_percent_fmt(uint64_t part, uint64_t whole, char *buf, size_t len)
{
	if (!whole)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", 100.0 * (double)part / (double)whole);
}
