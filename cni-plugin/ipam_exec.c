/* Running the IPAM plugin: CNI_PATH lookup, posix_spawn with stdin/stdout pipes, a poll loop
 * that feeds the configuration while reading the answer (neither side can block the other),
 * and decoding of the answer or of the plugin's error JSON. */
#include "ipam_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* An IPAM answer is a few hundred bytes; anything past this is not a CNI plugin talking. */
#define IPAM_OUT_MAX (1u << 20)

void ipam_exec_init(struct ipam_exec *x, const char *type, const char *cni_path, const char *conf,
		    size_t conf_len, json_t *root, enum cni_version version)
{
	memset(x, 0, sizeof(*x));
	x->type = type;
	x->cni_path = cni_path;
	x->conf = conf;
	x->conf_len = conf_len;
	x->root = root;
	x->version = version;
}

void ipam_exec_fini(struct ipam_exec *x)
{
	free(x->conf_v100);
	x->conf_v100 = NULL;
}

int ipam_exec_find(struct ipam_exec *x, struct cni_error *e)
{
	const char *p = x->cni_path;
	struct stat st;

	if (x->path[0])
		return 0;
	while (p && *p) {
		size_t len = strcspn(p, ":");

		if (len > 0 && snprintf(x->path, sizeof(x->path), "%.*s/%s", (int)len, p, x->type) <
				       (int)sizeof(x->path) &&
		    stat(x->path, &st) == 0 && S_ISREG(st.st_mode) && access(x->path, X_OK) == 0)
			return 0;
		p += len;
		if (*p == ':')
			p++;
	}
	x->path[0] = '\0';
	return cni_error_set(e, CNI_ERR_IPAM_EXEC, "IPAM plugin '%.64s' not found in CNI_PATH", x->type);
}

/* Copy a sub-call's error into e unless e already holds one (the first error wins). */
static int error_pass(struct cni_error *e, const struct cni_error *sub)
{
	if (e && !e->code)
		*e = *sub;
	return -1;
}

static bool env_overridden(const char *entry, const struct ipam_target *t)
{
	if (strncmp(entry, "CNI_COMMAND=", 12) == 0)
		return true;
	if (!t)
		return false;
	return (t->containerid && strncmp(entry, "CNI_CONTAINERID=", 16) == 0) ||
	       (t->ifname && strncmp(entry, "CNI_IFNAME=", 11) == 0) ||
	       (t->netns && strncmp(entry, "CNI_NETNS=", 10) == 0);
}

/* Our environment with CNI_COMMAND (and t's variables) replaced. One allocation holding the
 * pointer array and the replacement strings; free() it. */
static char **env_build(enum cni_cmd cmd, const struct ipam_target *t)
{
	size_t n = 0, extra, used = 0, k = 0;
	char **envp, *strs;

	while (environ && environ[n])
		n++;
	extra = 32 + (t && t->containerid ? strlen(t->containerid) + 17 : 0) +
		(t && t->ifname ? strlen(t->ifname) + 12 : 0) + (t && t->netns ? strlen(t->netns) + 11 : 0);
	envp = malloc((n + 5) * sizeof(char *) + extra);
	if (!envp)
		return NULL;
	strs = (char *)(envp + n + 5);
	for (size_t i = 0; i < n; i++)
		if (!env_overridden(environ[i], t))
			envp[k++] = environ[i];
#define ENV_ADD(fmt, val)                                                              \
	do {                                                                           \
		envp[k++] = strs + used;                                               \
		used += (size_t)snprintf(strs + used, extra - used, fmt, val) + 1;     \
	} while (0)
	ENV_ADD("CNI_COMMAND=%s", cni_cmd_str(cmd));
	if (t && t->containerid)
		ENV_ADD("CNI_CONTAINERID=%s", t->containerid);
	if (t && t->ifname)
		ENV_ADD("CNI_IFNAME=%s", t->ifname);
	if (t && t->netns && t->netns[0])
		ENV_ADD("CNI_NETNS=%s", t->netns);
#undef ENV_ADD
	envp[k] = NULL;
	return envp;
}

struct ipam_child {
	char *out;
	size_t out_len;
	bool out_overflow;
	int status;
};

/* Feed in[] to the child's stdin while collecting its stdout. 0 or -errno. */
static int child_io(int in_fd, int out_fd, const char *in, size_t in_len, struct ipam_child *c)
{
	size_t in_off = 0, cap = 0;
	struct pollfd pfd[2];

	while (in_fd >= 0 || out_fd >= 0) {
		int nfds = 0, in_idx = -1, out_idx = -1;

		if (in_fd >= 0) {
			pfd[nfds] = (struct pollfd){ .fd = in_fd, .events = POLLOUT };
			in_idx = nfds++;
		}
		if (out_fd >= 0) {
			pfd[nfds] = (struct pollfd){ .fd = out_fd, .events = POLLIN };
			out_idx = nfds++;
		}
		if (poll(pfd, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (in_idx >= 0 && pfd[in_idx].revents) {
			ssize_t n = in_off < in_len ? write(in_fd, in + in_off, in_len - in_off) : 0;

			/* EPIPE: the plugin exited without reading; its status will tell. */
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				in_off = in_len;
			else if (n > 0)
				in_off += (size_t)n;
			if (in_off >= in_len) {
				close(in_fd);
				in_fd = -1;
			}
		}
		if (out_idx >= 0 && pfd[out_idx].revents) {
			ssize_t n;

			if (c->out_len + 4096 + 1 > cap && !c->out_overflow) {
				size_t ncap = cap ? cap * 2 : 8192;
				char *nb;

				if (ncap > IPAM_OUT_MAX + 4096 + 1) {
					c->out_overflow = true;
				} else {
					nb = realloc(c->out, ncap);
					if (!nb)
						return -ENOMEM;
					c->out = nb;
					cap = ncap;
				}
			}
			if (c->out_overflow) {
				char sink[4096];

				n = read(out_fd, sink, sizeof(sink));
			} else {
				n = read(out_fd, c->out + c->out_len, cap - c->out_len - 1);
				if (n > 0)
					c->out_len += (size_t)n;
			}
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				close(out_fd);
				out_fd = -1;
			}
		}
	}
	if (c->out)
		c->out[c->out_len] = '\0';
	return 0;
}

/* Spawn the plugin with envp, give it in[] and collect its stdout and exit status. */
static int child_run(const char *path, char **envp, const char *in, size_t in_len, struct ipam_child *c,
		     struct cni_error *e)
{
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, rc = -1, err;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char *argv[] = { (char *)path, NULL };
	sigset_t dfl;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	if (pipe2(in_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0) {
		cni_error_set(e, CNI_ERR_IPAM_EXEC, "running the IPAM plugin: pipe: %s", strerror(errno));
		goto out_pipes;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	/* main() ignores SIGPIPE (a plugin that exits early must not kill us); the child gets the
	 * default back. */
	posix_spawnattr_init(&attr);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	err = posix_spawn(&pid, path, &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		cni_error_set(e, CNI_ERR_IPAM_EXEC, "running IPAM plugin %s: %s", path, strerror(err));
		goto out_pipes;
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	in_pipe[0] = out_pipe[1] = -1;
	fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
	fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
	err = child_io(in_pipe[1], out_pipe[0], in, in_len, c);
	in_pipe[1] = out_pipe[0] = -1; /* child_io closed them */
	while (waitpid(pid, &c->status, 0) < 0) {
		if (errno != EINTR) {
			err = errno;
			break;
		}
	}
	if (err) {
		cni_error_set(e, CNI_ERR_IPAM_EXEC, "talking to IPAM plugin %s: %s", path,
			      strerror(err < 0 ? -err : err));
		goto out_pipes;
	}
	rc = 0;
out_pipes:
	for (int i = 0; i < 2; i++) {
		if (in_pipe[i] >= 0)
			close(in_pipe[i]);
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
	}
	if (rc < 0) {
		free(c->out);
		c->out = NULL;
	}
	return rc;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
			return false;
	return true;
}

/* Turn the child's exit into 0 (+ *out) or an error in sub. */
static int child_decode(const struct ipam_exec *x, enum cni_cmd cmd, struct ipam_child *c, json_t **out,
			struct cni_error *sub)
{
	const char *cmdname = cni_cmd_str(cmd);
	json_t *doc = NULL, *code;

	if (c->out_overflow)
		return cni_error_set(sub, CNI_ERR_IPAM_EXEC, "IPAM plugin %s answered %s with more than %u bytes",
				     x->type, cmdname, IPAM_OUT_MAX);
	if (c->out && !blank(c->out, c->out_len))
		doc = json_loadb(c->out, c->out_len, 0, NULL);
	if (WIFSIGNALED(c->status)) {
		json_decref(doc);
		return cni_error_set(sub, CNI_ERR_IPAM_EXEC, "IPAM plugin %s was killed by signal %d during %s",
				     x->type, WTERMSIG(c->status), cmdname);
	}
	if (WEXITSTATUS(c->status) != 0) {
		code = json_object_get(doc, "code");
		if (json_is_integer(code) && json_integer_value(code) > 0 && json_integer_value(code) < 1000000) {
			const char *msg = json_string_value(json_object_get(doc, "msg"));
			const char *details = json_string_value(json_object_get(doc, "details"));

			cni_error_set(sub, (unsigned)json_integer_value(code), "%s: %s", x->type,
				      msg ? msg : "(no message)");
			if (details && details[0])
				cni_error_detail(sub, "%s", details);
		} else {
			cni_error_set(sub, CNI_ERR_IPAM_EXEC, "IPAM plugin %s failed %s with exit status %d",
				      x->type, cmdname, WEXITSTATUS(c->status));
			if (c->out && c->out_len)
				cni_error_detail(sub, "output: %.300s", c->out);
		}
		json_decref(doc);
		return -1;
	}
	if (out) {
		if (!doc && c->out && !blank(c->out, c->out_len))
			return cni_error_set(sub, CNI_ERR_IPAM_EXEC, "IPAM plugin %s answered %s with something "
					     "that is not JSON: '%.100s'", x->type, cmdname, c->out);
		*out = doc;
	} else {
		json_decref(doc);
	}
	return 0;
}

static int ipam_exec_once(struct ipam_exec *x, enum cni_cmd cmd, const struct ipam_target *t,
			  const char *in, size_t in_len, json_t **out, struct cni_error *sub)
{
	struct ipam_child c;
	char **envp;
	int rc;

	envp = env_build(cmd, t);
	if (!envp)
		return cni_error_set(sub, CNI_ERR_INTERNAL, "out of memory");
	rc = child_run(x->path, envp, in, in_len, &c, sub);
	free(envp);
	if (rc < 0)
		return -1;
	rc = child_decode(x, cmd, &c, out, sub);
	free(c.out);
	return rc;
}

/* The configuration with cniVersion "1.0.0": what the reference plugins (1.1.x) accept. */
static int conf_v100(struct ipam_exec *x, struct cni_error *sub)
{
	json_t *copy;

	if (x->conf_v100)
		return 0;
	copy = json_copy(x->root); /* shallow: only top-level keys change */
	if (!copy)
		return cni_error_set(sub, CNI_ERR_INTERNAL, "out of memory");
	json_object_del(copy, "cniVersions");
	if (json_object_set_new(copy, "cniVersion", json_string("1.0.0")) == 0)
		x->conf_v100 = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	if (!x->conf_v100)
		return cni_error_set(sub, CNI_ERR_INTERNAL, "out of memory");
	return 0;
}

int ipam_exec_call(struct ipam_exec *x, enum cni_cmd cmd, const struct ipam_target *t, json_t **out,
		   struct cni_error *e)
{
	struct cni_error sub = { 0 };
	int rc;

	if (out)
		*out = NULL;
	if (ipam_exec_find(x, &sub) < 0)
		return error_pass(e, &sub);
	if (x->conf_v100)
		rc = ipam_exec_once(x, cmd, t, x->conf_v100, strlen(x->conf_v100), out, &sub);
	else
		rc = ipam_exec_once(x, cmd, t, x->conf, x->conf_len, out, &sub);
	/* Spec 1.1.0 lets a runtime hand a plugin an older version when it does not speak the
	 * newer one; the reference plugins (1.1.x) answer 1.1.0 with code 1 but work under 1.0.0,
	 * whose ADD/DEL/CHECK semantics are the same. Remember the downgrade for later calls. */
	if (rc < 0 && sub.code == CNI_ERR_VERSION && x->version == CNI_V110 && !x->conf_v100) {
		memset(&sub, 0, sizeof(sub));
		if (conf_v100(x, &sub) < 0)
			return error_pass(e, &sub);
		rc = ipam_exec_once(x, cmd, t, x->conf_v100, strlen(x->conf_v100), out, &sub);
	}
	return rc < 0 ? error_pass(e, &sub) : 0;
}

int ipam_exec_add(struct ipam_exec *x, struct cni_result *r, struct cni_error *e)
{
	struct cni_error sub = { 0 };
	json_t *doc = NULL;
	int rc = -1;

	cni_result_init(r);
	if (ipam_exec_call(x, CNI_CMD_ADD, NULL, &doc, &sub) < 0)
		goto out;
	if (!doc) {
		cni_error_set(&sub, CNI_ERR_IPAM_EXEC, "IPAM plugin %s answered ADD with nothing", x->type);
		goto out;
	}
	if (cni_result_decode(doc, r, &sub) < 0) {
		/* The answer is IPAM's, not the runtime's: say so and keep the decoder's words. */
		char what[sizeof(sub.msg)];

		snprintf(what, sizeof(what), "%s", sub.msg);
		memset(&sub, 0, sizeof(sub));
		cni_error_set(&sub, CNI_ERR_IPAM_EXEC, "IPAM plugin %s answered ADD with a bad result: %s",
			      x->type, what);
		goto out;
	}
	if (r->n_ips == 0) {
		cni_error_set(&sub, CNI_ERR_IPAM_EXEC, "IPAM plugin %s answered ADD without an address", x->type);
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	if (rc < 0) {
		cni_result_fini(r);
		return error_pass(e, &sub);
	}
	return 0;
}

int ipam_exec_supports(struct ipam_exec *x, enum cni_version v, bool *yes, struct cni_error *e)
{
	struct cni_error sub = { 0 };
	json_t *doc = NULL, *list, *item;
	char in[64];
	size_t i;
	int n;

	*yes = false;
	if (ipam_exec_find(x, &sub) < 0)
		return error_pass(e, &sub);
	n = snprintf(in, sizeof(in), "{\"cniVersion\":\"%s\"}", cni_version_str(x->version));
	if (ipam_exec_once(x, CNI_CMD_VERSION, NULL, in, (size_t)n, &doc, &sub) < 0)
		return error_pass(e, &sub);
	list = json_object_get(doc, "supportedVersions");
	if (!json_is_array(list)) {
		json_decref(doc);
		cni_error_set(&sub, CNI_ERR_IPAM_EXEC, "IPAM plugin %s answered VERSION without supportedVersions",
			      x->type);
		return error_pass(e, &sub);
	}
	json_array_foreach(list, i, item)
		if (json_is_string(item) && strcmp(json_string_value(item), cni_version_str(v)) == 0)
			*yes = true;
	json_decref(doc);
	return 0;
}
