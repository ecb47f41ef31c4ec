/* veth_floor: attach the veth floor (tests/bench/veth_floor.bpf.c) to one node of the fabric
 * bench's reference setup. In the node's namespace, tcx ingress on the pod's host veth gets
 * floor_from_pod and tcx ingress on the underlay device floor_from_netdev, with the addresses
 * written into the object's .rodata first. tcx, as weftd uses where the kernel has it, so that
 * native against the floor compares the programs and not the attach points. The attachments
 * stay after the tool exits and go with the devices (the bench deletes the namespaces). */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench/veth_floor.skel.h"
#include "cni-plugin/netns.h"

#define FLOOR_TCX_INGRESS 46 /* BPF_TCX_INGRESS (Linux 6.6); the 6.1 uapi headers lack it */

struct floor_opts {
	const char *netns;
	const char *pod_veth;
	const char *uplink;
	struct ether_addr pod_mac;
	struct in_addr pod_ip;
	struct in_addr next_hop;
};

static void floor_usage(void)
{
	fprintf(stderr,
		"usage: veth_floor --netns PATH --pod-veth IFNAME --pod-mac MAC --pod-ip IPV4\n"
		"                  --uplink IFNAME --next-hop IPV4\n"
		"In the node namespace PATH: floor_from_pod at tcx ingress of the pod's host veth\n"
		"(everything IPv4 to --next-hop out of --uplink), floor_from_netdev at tcx ingress of\n"
		"--uplink (IPv4 for --pod-ip into the pod, with --pod-mac as destination).\n");
}

/* The device's MAC as this namespace sees it (sysfs would show the mounter's namespace). */
static int floor_if_mac(const char *name, unsigned char mac[6])
{
	struct ifreq ifr;
	int fd, ret = 0;

	if (strlen(name) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return ret;
}

static bool floor_opts_parse(int argc, char **argv, struct floor_opts *o)
{
	static const struct option longopts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "pod-veth", required_argument, NULL, 'v' },
		{ "pod-mac", required_argument, NULL, 'm' },
		{ "pod-ip", required_argument, NULL, 'i' },
		{ "uplink", required_argument, NULL, 'u' },
		{ "next-hop", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_mac = false, have_ip = false, have_nh = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o->netns = optarg; break;
		case 'v': o->pod_veth = optarg; break;
		case 'u': o->uplink = optarg; break;
		case 'm':
			if (!ether_aton_r(optarg, &o->pod_mac)) {
				fprintf(stderr, "veth_floor: --pod-mac \"%s\" is not a MAC address\n", optarg);
				return false;
			}
			have_mac = true;
			break;
		case 'i':
		case 'g':
			if (inet_pton(AF_INET, optarg, c == 'i' ? &o->pod_ip : &o->next_hop) != 1) {
				fprintf(stderr, "veth_floor: --%s \"%s\" is not an IPv4 address\n",
					c == 'i' ? "pod-ip" : "next-hop", optarg);
				return false;
			}
			*(c == 'i' ? &have_ip : &have_nh) = true;
			break;
		default:
			return false;
		}
	}
	if (optind != argc || !o->netns || !o->pod_veth || !o->uplink || !have_mac || !have_ip ||
	    !have_nh) {
		fprintf(stderr, "veth_floor: every option is required\n");
		return false;
	}
	return true;
}

static int floor_attach(const struct bpf_program *prog, const char *ifname, unsigned ifindex)
{
	if (bpf_prog_attach(bpf_program__fd(prog), (int)ifindex, FLOOR_TCX_INGRESS, 0) == 0)
		return 0;
	fprintf(stderr, "veth_floor: tcx attach of %s at %s: %s\n", bpf_program__name(prog), ifname,
		strerror(errno));
	return -1;
}

int main(int argc, char **argv)
{
	struct floor_opts o = { 0 };
	struct veth_floor *skel = NULL;
	unsigned veth_ifindex, uplink_ifindex;
	unsigned char host_mac[6];
	int r, ret = 1;

	if (!floor_opts_parse(argc, argv, &o)) {
		floor_usage();
		return 2;
	}
	r = netns_enter_path(o.netns);
	if (r < 0) {
		fprintf(stderr, "veth_floor: --netns \"%s\": %s\n", o.netns, strerror(-r));
		return 1;
	}
	veth_ifindex = if_nametoindex(o.pod_veth);
	uplink_ifindex = if_nametoindex(o.uplink);
	if (!veth_ifindex || !uplink_ifindex) {
		fprintf(stderr, "veth_floor: no device \"%s\" in %s\n",
			veth_ifindex ? o.uplink : o.pod_veth, o.netns);
		return 1;
	}
	r = floor_if_mac(o.pod_veth, host_mac);
	if (r < 0) {
		fprintf(stderr, "veth_floor: MAC of %s: %s\n", o.pod_veth, strerror(-r));
		return 1;
	}

	skel = veth_floor__open();
	if (!skel) {
		fprintf(stderr, "veth_floor: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->uplink_ifindex = uplink_ifindex;
	skel->rodata->next_hop = o.next_hop.s_addr;
	skel->rodata->host_veth_ifindex = veth_ifindex;
	skel->rodata->pod_ip = o.pod_ip.s_addr;
	memcpy((void *)skel->rodata->pod_mac, o.pod_mac.ether_addr_octet, 6);
	memcpy((void *)skel->rodata->host_mac, host_mac, 6);
	r = veth_floor__load(skel);
	if (r) {
		fprintf(stderr, "veth_floor: load: %s\n", strerror(-r));
		goto out;
	}
	if (floor_attach(skel->progs.floor_from_pod, o.pod_veth, veth_ifindex) < 0)
		goto out;
	if (floor_attach(skel->progs.floor_from_netdev, o.uplink, uplink_ifindex) < 0) {
		bpf_prog_detach2(bpf_program__fd(skel->progs.floor_from_pod), (int)veth_ifindex,
				 FLOOR_TCX_INGRESS);
		goto out;
	}
	printf("veth_floor: %s: floor_from_pod at %s, floor_from_netdev at %s\n", o.netns, o.pod_veth,
	       o.uplink);
	ret = 0;
out:
	veth_floor__destroy(skel);
	return ret;
}
