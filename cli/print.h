/* weftctl's one output path. A command builds its answer once, as a tree of fields, tables and
 * lists; pr_render() turns the same tree into the human table or into JSON (as iproute2's
 * print_uint(PRINT_ANY, ...) does). A field with a NULL label is JSON only, one with a NULL key
 * is for humans only (PRINT_JSON / PRINT_FP). */
#ifndef WEFT_CLI_PRINT_H
#define WEFT_CLI_PRINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum pr_format { PR_TABLE, PR_JSON };

struct pr;
struct pr_node;

/* Builders never fail loudly: an allocation failure is remembered by the pr and reported by
 * pr_render(), and every builder given a NULL node does nothing and returns NULL. So commands
 * build without checking each call. */
struct pr *pr_new(void);
void pr_free(struct pr *p);
/* The document's top-level object. */
struct pr_node *pr_root(struct pr *p);

/* Containers. An object is "Label: value" lines for humans (a "" label prints no heading);
 * a table is an array of row objects, printed as columns; a list is an array of scalars, printed
 * comma-separated. Inside a table row, a nested object's fields become columns "LABEL.SUB". */
struct pr_node *pr_obj(struct pr_node *parent, const char *key, const char *label);
struct pr_node *pr_table(struct pr_node *parent, const char *key, const char *label);
struct pr_node *pr_row(struct pr_node *table);
struct pr_node *pr_list(struct pr_node *parent, const char *key, const char *label);
/* What humans see instead of the column headers when a table has no rows. */
void pr_table_empty(struct pr_node *table, const char *text);

/* Scalars. In a list, key and label are ignored. */
void pr_str(struct pr_node *n, const char *key, const char *label, const char *v); /* NULL: null */
void pr_uint(struct pr_node *n, const char *key, const char *label, uint64_t v);
void pr_int(struct pr_node *n, const char *key, const char *label, int64_t v);
void pr_bool(struct pr_node *n, const char *key, const char *label, bool v);
/* Any JSON value (reference stolen) with the text humans see. */
void pr_value(struct pr_node *n, const char *key, const char *label, json_t *v, const char *text);
void pr_valuef(struct pr_node *n, const char *key, const char *label, json_t *v, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Add an arbitrary JSON value (borrowed) under key: objects become objects (or columns in a
 * row), arrays of objects tables, other arrays lists. Labels are the keys (upper case inside a
 * table). For data whose shape the CLI does not know, such as BPF map entries. */
void pr_json(struct pr_node *n, const char *key, const char *label, json_t *v);

/* Render the whole document. 0 or -errno (-ENOMEM if a builder failed earlier). */
int pr_render(struct pr *p, enum pr_format fmt, FILE *out);

/* A table that arrives in parts (route list's pages), printed for humans as each part comes
 * instead of held whole: the header once, before the first row; each column as wide as its
 * widest cell so far, so a later part's wider cell shifts the columns right of it from there
 * on. JSON is one document: build it whole and pr_render it. */
struct pr_stream;
struct pr_stream *pr_stream_new(FILE *out);      /* NULL when out of memory */
/* Print the rows of table (a pr_table as built for pr_render; its pr may be freed after).
 * 0 or -errno, also for a builder's earlier failure; after an error, nothing more is printed. */
int pr_stream_rows(struct pr_stream *s, const struct pr_node *table);
/* The tables' empty text if no row came, flush, and free s. 0 or -errno (any earlier one). */
int pr_stream_end(struct pr_stream *s);
/* Free s without printing more (the parts stopped on an error); NULL is a no-op. */
void pr_stream_free(struct pr_stream *s);

/* Parse "table" or "json"; false for anything else. */
bool pr_format_parse(const char *s, enum pr_format *out);

/* Human helpers, shared by the commands: "3d4h5m6s"; "12.5%". */
void pr_duration_fmt(uint64_t seconds, char *buf, size_t len);
void pr_percent_fmt(uint64_t part, uint64_t whole, char *buf, size_t len);

#endif
