/* ra_send: send IPv6 router advertisements to all nodes (ff02::1) out of one interface, as a
 * rogue router in a pod would. The integration tests use it to check that the data path drops
 * them. usage: ra_send IFNAME [COUNT]; exit 0 when every RA was handed to the kernel. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct {
		struct nd_router_advert ra;
		struct nd_opt_prefix_info pi;
	} msg;
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	int fd, hops = 255, count = 1, rc = 1;
	unsigned ifindex;

	if (argc < 2 || argc > 3 || (argc == 3 && (count = atoi(argv[2])) < 1) || count > 1000) {
		fprintf(stderr, "usage: ra_send IFNAME [COUNT 1-1000]\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "ra_send: no interface '%s': %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* A plausible RA: default router for 30 min, announcing 2001:db8:bad::/64 for SLAAC. The
	 * kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets. */
	memset(&msg, 0, sizeof(msg));
	msg.ra.nd_ra_type = ND_ROUTER_ADVERT;
	msg.ra.nd_ra_curhoplimit = 64;
	msg.ra.nd_ra_router_lifetime = htons(1800);
	msg.pi.nd_opt_pi_type = ND_OPT_PREFIX_INFORMATION;
	msg.pi.nd_opt_pi_len = 4;
	msg.pi.nd_opt_pi_prefix_len = 64;
	msg.pi.nd_opt_pi_flags_reserved = ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO;
	msg.pi.nd_opt_pi_valid_time = htonl(86400);
	msg.pi.nd_opt_pi_preferred_time = htonl(14400);
	inet_pton(AF_INET6, "2001:db8:bad::", &msg.pi.nd_opt_pi_prefix);
	inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
	dst.sin6_scope_id = ifindex;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0) {
		fprintf(stderr, "ra_send: raw ICMPv6 socket: %s\n", strerror(errno));
		return 1;
	}
	/* RFC 4861 6.1.2: a receiver discards an RA whose hop limit is not 255. */
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0) {
		fprintf(stderr, "ra_send: setsockopt: %s\n", strerror(errno));
		goto out;
	}
	for (int i = 0; i < count; i++) {
		if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&dst, sizeof(dst)) != (ssize_t)sizeof(msg)) {
			fprintf(stderr, "ra_send: sendto ff02::1%%%s: %s\n", argv[1], strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
